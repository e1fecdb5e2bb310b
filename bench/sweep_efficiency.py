"""Sweep efficiency: the real runner against the loopback server, measured against the ideal.

    python -m bench.sweep_efficiency [--conversations 500 --turns 6 --concurrency 50 --latency-ms 200]

ideal wall = (model calls per conversation, from the server's counter ÷ conversations) × latency
             × ceil(conversations / concurrency)
efficiency = ideal wall ÷ measured wall (target ≥ 0.90). The calls of one conversation are
sequential (persona → subject → persona …), so that is the critical path of each conversation.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time

import simulator.llm  # noqa: F401  (offline env before litellm import)
from bench import report
from bench.loopback_plan import ServerOptions
from bench.loopback_server import LoopbackServer
from bench.overhead_variants import by_name
from bench.server_process import ServerProcess
from bench.sweep_config import calls_in_records, sweep_config
from simulator.llm.call import Gateway, shutdown_litellm
from simulator.core.records import ModelSpec
from simulator.run.runner import run_async

TARGET = 0.90


async def _warm_up(api_base: str, n: int = 3) -> None:
    """First litellm call pays lazy imports and client set-up; keep that out of the timing."""
    g = Gateway(retries=0, backoff_s=0.0)
    spec = ModelSpec(model="openai/warm-up", api_base=api_base, max_tokens=8)
    for _ in range(n):
        await g.complete(spec, [{"role": "user", "content": "hello"}], role="subject")


async def _timed(cfg) -> tuple[object, float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    result = await run_async(cfg)
    return result, time.perf_counter() - t0, time.process_time() - c0


def measure(conversations: int, turns: int, concurrency: int, latency_ms: float,
            server: str = "process", max_in_flight: int | None = None, reply_words: int = 30,
            variant: str = "baseline", processes: int = 1) -> dict:
    opts = ServerOptions(latency_ms=latency_ms, reply_words=reply_words)
    srv = ServerProcess(opts) if server == "process" else LoopbackServer(opts)
    with srv, tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        cfg = sweep_config(srv.url, tmp, conversations=conversations, turns=turns,
                           concurrency=concurrency, max_in_flight=max_in_flight)
        # the engine's own sharding; its wall time includes starting the worker processes
        cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"processes": processes})})

        async def main():
            try:
                with by_name([variant])[-1].enter():
                    await _warm_up(srv.url)
                    srv.reset()
                    return await _timed(cfg)
            finally:
                await shutdown_litellm()

        result, wall, cpu = asyncio.run(main())
        served = srv.stats()
        seen = calls_in_records(result.run_dir)
        planned, written, status = result.planned, result.written, result.status
    calls = served["total"]
    per_conv = calls / conversations
    waves = math.ceil(conversations / concurrency)
    ideal = per_conv * latency_ms / 1000.0 * waves
    return {
        "conversations": conversations, "turns": turns, "concurrency": concurrency,
        "max_in_flight_per_model": max_in_flight or concurrency, "latency_ms": latency_ms,
        "server": server, "processes": processes, "planned": planned, "written": written, "status": status,
        "server_calls": calls, "server_by_kind": served["by_kind"], "calls_per_conversation": per_conv,
        "waves": waves, "ideal_wall_s": ideal, "wall_s": wall, "efficiency": ideal / wall if wall else 0.0,
        "client_cpu_s": cpu, "client_cpu_ms_per_call": 1000.0 * cpu / calls if calls else 0.0,
        "client_cpu_utilisation": cpu / wall if wall else 0.0,
        # The best efficiency this much client CPU allows on one core (one event loop), whatever the load.
        # (with run.processes the workers' CPU is not in client_cpu_s: only the parent's is)
        "cpu_bound_ceiling": min(1.0, ideal / cpu) if cpu and processes == 1 else None, "variant": variant,
        "records": seen,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sweep_efficiency", description=__doc__.split("\n\n")[0])
    p.add_argument("--conversations", type=int, default=500)
    p.add_argument("--turns", type=int, default=6)
    p.add_argument("--concurrency", type=int, nargs="+", default=[50], help="one or more values, run in turn")
    p.add_argument("--latency-ms", type=float, default=200.0)
    p.add_argument("--max-in-flight", type=int, default=None, help="per-model bound (default: = concurrency)")
    p.add_argument("--reply-words", type=int, default=30)
    p.add_argument("--server", choices=["process", "thread"], default="process",
                   help="loopback server in a child process (default) or a thread of this one")
    p.add_argument("--variant", default="baseline",
                   help="apply a candidate setting from bench.overhead_variants during the run")
    p.add_argument("--processes", type=int, default=1,
                   help="run.processes: the engine shards the plan over this many worker processes")
    p.add_argument("--out", default=None, help="JSON path (default bench/results/sweep_efficiency.json)")
    ns = p.parse_args(argv)
    rows = []
    for c in ns.concurrency:
        rows.append(measure(ns.conversations, ns.turns, c, ns.latency_ms, ns.server, ns.max_in_flight,
                            ns.reply_words, ns.variant, ns.processes))
    print(report.table(rows, ["conversations", "turns", "concurrency", "processes", "latency_ms", "server_calls",
                              "calls_per_conversation", "ideal_wall_s", "wall_s", "efficiency",
                              "client_cpu_ms_per_call", "client_cpu_utilisation", "cpu_bound_ceiling"]))
    for r in rows:
        print(f"records (concurrency {r['concurrency']}): {r['records']}")
    ok = all(r["efficiency"] >= TARGET and r["written"] == r["planned"] for r in rows)
    print(f"target efficiency ≥ {TARGET}: {'met' if ok else 'NOT met'}")
    path = report.write("sweep_efficiency", {"target": TARGET, "target_met": ok, "variant": ns.variant,
                                             "rows": rows}, ns.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
