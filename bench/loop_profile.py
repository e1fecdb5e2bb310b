"""Where the client's CPU goes in a timed sweep: py-spy (GIL holder only) on the run, by component.

    python -m bench.loop_profile [--conversations 50 --turns 6 --concurrency 50 --rate 100]

A child process runs the sweep configuration of bench.sweep_efficiency against a loopback server
(200 ms, child process): it warms up as bench.peers.drive_ours does (litellm's first client, the
sentence embedder's session, lazy imports), then py-spy attaches (`record --gil --format raw
--pid`), and only then does the timed run start, so set-up is not in the samples. `--gil` samples
the thread holding the GIL: the Python-level CPU of the event loop and of any worker thread
(onnxruntime and other C code that releases the GIL is not counted). Each sample is filed under
the first component (in the order of COMPONENTS) that one of its frames names.
Needs py-spy (`pip install py-spy`) and the permission to attach to a child process.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import report

# (component, substrings of a frame; the first component with a match takes the sample)
COMPONENTS: list[tuple[str, tuple[str, ...]]] = [
    ("scoring step (instrument families)", ("InstrumentFamily.", "score_conversation", "score_all")),
    ("appraisal (deterministic)", ("appraise_node",)),
    ("persona fidelity check", ("check_persona_turn",)),
    ("litellm (+ OpenAI SDK, transport, pricing, logging)", ("Gateway.complete", "litellm", "openai/", "aiohttp/",
                                                            "httpx/", "_client_auth.py")),
    ("store, records, progress", ("store.py", "run_async.<locals>.keep", "records.py", "tqdm")),
    ("langgraph", ("pregel/", "langgraph", "langchain_core", "_runnable.py", "graph/_branch.py")),
    ("runner and graph nodes (own code)", ("simulator/",)),
    ("asyncio loop itself", ("asyncio/",)),
]


def classify(raw: str) -> dict[str, int]:
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.splitlines():
        stack, _, n = line.rstrip().rpartition(" ")
        if not stack or not n.isdigit():
            continue
        frames = stack.split(";")
        name = next((c for c, keys in COMPONENTS if any(k in f for f in frames for k in keys)), "other")
        counts[name] += int(n)
    return dict(counts)


def _child(ns) -> int:
    """Warm up, say READY, wait for GO on stdin, run the timed sweep, print its figures."""
    import simulator.llm  # noqa: F401  (offline env before litellm import)
    from bench.peers.drive_deepeval import reset_server
    from bench.sweep_config import sweep_config
    from bench.sweep_efficiency import _warm_up
    from simulator.llm.call import shutdown_litellm
    from simulator.run.runner import run_async

    with tempfile.TemporaryDirectory(prefix="bench-loop-profile-") as tmp:
        cfg = sweep_config(ns.url, tmp, conversations=ns.conversations, turns=ns.turns, concurrency=ns.concurrency)
        warm = sweep_config(ns.url, f"{tmp}/warm", conversations=1, turns=1, concurrency=1)

        async def run():
            try:
                await _warm_up(ns.url)
                await run_async(warm)
                reset_server(ns.url)
                print("READY", flush=True)
                await asyncio.to_thread(sys.stdin.readline)
                t0, c0 = time.perf_counter(), time.process_time()
                await run_async(cfg)
                return time.perf_counter() - t0, time.process_time() - c0
            finally:
                await shutdown_litellm()

        wall, cpu = asyncio.run(run())
    print(json.dumps({"wall_s": wall, "cpu_s": cpu}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.loop_profile", description=__doc__.split("\n\n")[0])
    p.add_argument("--conversations", type=int, default=50)
    p.add_argument("--turns", type=int, default=6)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--latency-ms", type=float, default=200.0)
    p.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--out", default=None)
    ns = p.parse_args(argv)
    if ns.child:
        return _child(ns)

    from bench.loopback_plan import ServerOptions
    from bench.server_process import ServerProcess

    with ServerProcess(ServerOptions(latency_ms=ns.latency_ms)) as srv, \
            tempfile.TemporaryDirectory(prefix="bench-loop-profile-") as tmp:
        raw_path = Path(tmp) / "samples.txt"
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.loop_profile", "--child", "--url", srv.url, "--conversations",
             str(ns.conversations), "--turns", str(ns.turns), "--concurrency", str(ns.concurrency)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert child.stdin is not None and child.stdout is not None
        for line in child.stdout:
            if line.strip() == "READY":
                break
        else:
            raise SystemExit(f"the profiled child exited before warming up (rc {child.wait()})")
        spy = subprocess.Popen(["py-spy", "record", "--gil", "--format", "raw", "-r", str(ns.rate), "-o",
                                str(raw_path), "--pid", str(child.pid)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(2.0)  # py-spy attaches before the timed run starts
        child.stdin.write("GO\n")
        child.stdin.flush()
        figures = json.loads([ln for ln in child.stdout.read().splitlines() if ln.startswith("{")][-1])
        child.wait()
        _, err = spy.communicate(timeout=60)
        if not raw_path.is_file():
            raise SystemExit(f"py-spy wrote no samples: {err.strip()[-300:]}")
        counts = classify(raw_path.read_text())
        served = srv.stats()["total"]
    total = sum(counts.values()) or 1
    rows = [{"component": c, "samples": n, "share": n / total}
            for c, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    print(report.table(rows, ["component", "samples", "share"]))
    per_call = 1000.0 * figures["cpu_s"] / served if served else 0.0
    print(f"timed run: {figures['wall_s']:.2f} s wall, {figures['cpu_s']:.2f} s CPU, {served} calls, "
          f"{per_call:.2f} ms CPU per call")
    path = report.write("loop_profile", {"conversations": ns.conversations, "turns": ns.turns,
                                         "concurrency": ns.concurrency, "latency_ms": ns.latency_ms,
                                         "server_calls": served, "client_cpu_ms_per_call": per_call,
                                         **figures, "rows": rows}, ns.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
