"""Drive this project's runner against the loopback server, as the peer drivers do theirs.

    python -m bench.peers.drive_ours --url URL --conversations 50 --turns 6 --concurrency 5 [--processes 2]

The same configuration as bench.sweep_efficiency (real runner, judge off, cache off, one
persona/scenario pair over seeds 0..N-1). Prints one JSON line: wall and CPU seconds around
run_async (with --processes, CPU includes the finished worker processes), and the outcomes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time

import simulator.llm  # noqa: F401  (offline env before litellm import)
from bench.peers.drive_deepeval import reset_server
from bench.sweep_config import calls_in_records, sweep_config
from bench.sweep_efficiency import _warm_up
from simulator.llm.call import shutdown_litellm
from simulator.run.runner import run_async


def _cpu() -> float:
    """This process's CPU plus that of its finished children (the run.processes workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.peers.drive_ours")
    p.add_argument("--url", required=True)
    p.add_argument("--conversations", type=int, default=50)
    p.add_argument("--turns", type=int, default=6)
    p.add_argument("--concurrency", type=int, default=5)
    p.add_argument("--processes", type=int, default=1)
    ns = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        cfg = sweep_config(ns.url, tmp, conversations=ns.conversations, turns=ns.turns,
                           concurrency=ns.concurrency)
        cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"processes": ns.processes})})

        # warm-up as for every peer: one short conversation (lazy imports, the sentence embedder
        # the appraisal loads on first use, litellm's first client), then zero the server's counter
        warm = sweep_config(ns.url, f"{tmp}/warm", conversations=1, turns=1, concurrency=1)

        async def run():
            try:
                await _warm_up(ns.url)
                await run_async(warm)
                reset_server(ns.url)
                t0, c0 = time.perf_counter(), _cpu()
                result = await run_async(cfg)
                return result, time.perf_counter() - t0, _cpu() - c0
            finally:
                await shutdown_litellm()

        result, wall, cpu = asyncio.run(run())
        seen = calls_in_records(result.run_dir)
    print(json.dumps({"peer": "empathy-sim", "wall_s": wall, "cpu_s": cpu, "conversations": seen["records"],
                      "status": seen["status"], "stop_reasons": seen["stop_reasons"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
