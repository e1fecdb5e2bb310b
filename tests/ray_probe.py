"""Imported through EMPATHY_SIM_IMPORT by the Ray sweep test: inside a Ray job, record what Ray
itself reports about the node the job runs on (one JSON file per worker process).

Outside a Ray job (the CLI's own import, before Hydra starts Ray) it does nothing.
"""

import os
import sys
from pathlib import Path


def _probe() -> None:
    out = os.environ.get("EMPATHY_SIM_RAY_PROBE")
    if not out or "ray" not in sys.modules:
        return
    import orjson
    import ray

    if not ray.is_initialized():
        return
    from ray._private import ray_constants
    from ray.experimental.internal_kv import _internal_kv_get

    url = _internal_kv_get("webui:url", namespace=ray_constants.KV_NAMESPACE_DASHBOARD) or b""
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / f"{os.getpid()}.json").write_bytes(orjson.dumps({
        "node_ip": ray.util.get_node_ip_address(),
        "gcs_address": ray.get_runtime_context().gcs_address,
        "nodes": [n["NodeManagerAddress"] for n in ray.nodes()],
        "cpus": ray.cluster_resources().get("CPU"),
        "dashboard_url": url.decode(),
    }))


_probe()
