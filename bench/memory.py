"""Peak memory of a run as the conversation count grows, one fresh process per size.

    python -m bench.memory [--sizes 100 500 1000 5000 --turns 2 --concurrency 50 --tracemalloc]

Each size runs the real runner (2 subject turns, short replies) against one loopback server at
~0 ms latency, in a child process so one size's peak never carries into the next. Reported: RSS
after imports and the peak RSS (resource.getrusage ru_maxrss) of the child, the growth between
them, and optionally the tracemalloc peak of Python allocations (slower). Target: flat, < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from bench import report
from bench.loopback_plan import ServerOptions
from bench.server_process import ROOT, ServerProcess

TARGET_MB = 300.0


def _rss_mb() -> float:
    """Current RSS from /proc (Linux); falls back to the peak where /proc is missing."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(url: str, n: int, turns: int, concurrency: int, trace: bool) -> dict:
    import asyncio

    import simulator.llm  # noqa: F401
    from bench.sweep_config import sweep_config
    from simulator.llm.call import shutdown_litellm
    from simulator.run.runner import run_async

    if trace:
        import tracemalloc

        tracemalloc.start()
    import litellm  # noqa: F401  (counted in the import baseline, not in the growth)
    import judges.instruments  # noqa: F401

    base = _rss_mb()
    with tempfile.TemporaryDirectory(prefix="bench-mem-") as tmp:
        cfg = sweep_config(url, tmp, conversations=n, turns=turns, concurrency=concurrency)

        async def main():
            try:
                return await run_async(cfg)
            finally:
                await shutdown_litellm()

        t0 = time.perf_counter()
        result = asyncio.run(main())
        wall = time.perf_counter() - t0
    out = {"conversations": n, "written": result.written, "status": result.status,
           "rss_after_imports_mb": base, "rss_end_mb": _rss_mb(),
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "wall_s": wall}
    out["growth_mb"] = out["peak_rss_mb"] - base
    if trace:
        import tracemalloc

        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    return out


def _run_child(url: str, n: int, turns: int, concurrency: int, trace: bool, timeout_s: float) -> dict:
    cmd = [sys.executable, "-m", "bench.memory", "--child", url, "--sizes", str(n), "--turns", str(turns),
           "--concurrency", str(concurrency)] + (["--tracemalloc"] if trace else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child for n={n} failed (rc={proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000, 5000])
    p.add_argument("--turns", type=int, default=2)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--reply-words", type=int, default=12)
    p.add_argument("--tracemalloc", action="store_true", help="also report the Python allocation peak (slow)")
    p.add_argument("--timeout-s", type=float, default=3600.0, help="per child")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None)
    ns = p.parse_args(argv)
    if ns.child:
        print(json.dumps(child(ns.child, ns.sizes[0], ns.turns, ns.concurrency, ns.tracemalloc)), flush=True)
        return 0
    rows = []
    with ServerProcess(ServerOptions(latency_ms=0.0, reply_words=ns.reply_words)) as server:
        for n in ns.sizes:
            before = server.stats()["total"]
            row = _run_child(server.url, n, ns.turns, ns.concurrency, ns.tracemalloc, ns.timeout_s)
            row["server_calls"] = server.stats()["total"] - before
            rows.append(row)
            print(f"  n={n}: peak {row['peak_rss_mb']:.0f} MB ({row['wall_s']:.0f} s)", flush=True)
    cols = ["conversations", "written", "server_calls", "rss_after_imports_mb", "peak_rss_mb", "growth_mb",
            "rss_end_mb", "wall_s"] + (["tracemalloc_peak_mb"] if ns.tracemalloc else [])
    print(report.table(rows, cols))
    peaks = [r["peak_rss_mb"] for r in rows]
    growth = [r["growth_mb"] for r in rows]
    per_conv_kb = ((growth[-1] - growth[0]) * 1024 / (ns.sizes[-1] - ns.sizes[0])) if len(rows) > 1 else 0.0
    ok = max(peaks) < TARGET_MB and all(r["written"] == r["conversations"] for r in rows)
    print(f"growth per extra conversation: {per_conv_kb:.1f} KB; max peak {max(peaks):.0f} MB")
    print(f"target peak < {TARGET_MB:.0f} MB at every size: {'met' if ok else 'NOT met'}")
    path = report.write("memory", {"target_mb": TARGET_MB, "target_met": ok, "rows": rows,
                                   "growth_kb_per_conversation": per_conv_kb,
                                   "turns": ns.turns, "concurrency": ns.concurrency}, ns.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
