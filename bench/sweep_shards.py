"""The sweep split across K worker processes, each running the real runner on every K-th seed.

This measures what sharding a plan across processes (one event loop per core) would buy the
engine without changing it: the children import and warm up, report ready, and start together
on the parent's word; wall time runs from the first start to the last finish.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import subprocess
import sys
import time

from bench.server_process import ROOT


def _child(ns: argparse.Namespace) -> int:
    import asyncio
    import tempfile

    import simulator.llm  # noqa: F401
    from bench.sweep_config import sweep_config
    from bench.sweep_efficiency import _warm_up
    from simulator.llm.call import shutdown_litellm
    from simulator.runner import run_async

    seeds = list(range(ns.conversations))[ns.shard::ns.shards]
    with tempfile.TemporaryDirectory(prefix=f"bench-shard{ns.shard}-") as tmp:
        cfg = sweep_config(ns.child, tmp, conversations=len(seeds), turns=ns.turns,
                           concurrency=ns.concurrency, seeds=seeds)

        async def main():
            try:
                await _warm_up(ns.child)
                print("ready", flush=True)
                await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
                t0, c0 = time.time(), time.process_time()
                result = await run_async(cfg)
                return result, t0, time.time(), time.process_time() - c0
            finally:
                await shutdown_litellm()

        result, start, end, cpu = asyncio.run(main())
    print(json.dumps({"shard": ns.shard, "planned": result.planned, "written": result.written,
                      "counts": result.counts, "start": start, "end": end, "cpu_s": cpu}), flush=True)
    return 0


def _readline(proc: subprocess.Popen, deadline: float) -> str:
    assert proc.stdout is not None
    while time.time() < deadline:  # bounded by the deadline
        ready, _, _ = select.select([proc.stdout], [], [], 1.0)
        if ready:
            return proc.stdout.readline()
        if proc.poll() is not None:
            break
    raise RuntimeError(f"shard process {proc.pid} gave no line in time (rc={proc.poll()})")


def run_sharded(server, conversations: int, turns: int, concurrency: int, shards: int,
                timeout_s: float = 3600.0) -> dict:
    """server: a started ServerProcess or LoopbackServer (reset once every shard is warm)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    per = max(1, concurrency // shards)
    procs = [subprocess.Popen(
        [sys.executable, "-m", "bench.sweep_shards", "--child", server.url, "--shard", str(i), "--shards",
         str(shards), "--conversations", str(conversations), "--turns", str(turns), "--concurrency", str(per)],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    ) for i in range(shards)]
    try:
        deadline = time.time() + timeout_s
        for p in procs:
            if _readline(p, deadline).strip() != "ready":
                raise RuntimeError("shard did not report ready")
        server.reset()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outs = [json.loads(_readline(p, deadline)) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
            p.wait(30)
    wall = max(o["end"] for o in outs) - min(o["start"] for o in outs)
    return {"shards": outs, "wall_s": wall, "cpu_s": sum(o["cpu_s"] for o in outs),
            "planned": sum(o["planned"] for o in outs), "written": sum(o["written"] for o in outs),
            "concurrency_per_shard": per}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sweep_shards")
    p.add_argument("--child", required=True, help="api_base of the loopback server")
    p.add_argument("--shard", type=int, required=True)
    p.add_argument("--shards", type=int, required=True)
    p.add_argument("--conversations", type=int, required=True)
    p.add_argument("--turns", type=int, required=True)
    p.add_argument("--concurrency", type=int, required=True)
    return _child(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
