"""`empathy-sim plan`'s wall time against a measured sweep on the loopback server.

    python -m bench.plan_check [--reps 2] [--latency-ms 500] [--client-cpu-ms 7]

Each case is a small sweep job (the real runner, bench.sweep_config) that a different bound
should limit: conversations in flight, calls in flight per model, or (with the probability
judge) many short calls. For each, the forecast (simulator.run.forecast.forecast_job, with the
server's latency per call and the plan's default client CPU per call, 7 ms) is set beside the
measured wall time, and so is the forecast with the client CPU per call measured in that very run
(process time ÷ calls: the CPU, not the wall time being predicted). The client's time per call
is stretched by whatever else the machine runs, so the check's default latency, 500 ms, keeps
the client a small share of each call, as with hosted APIs; `--latency-ms 200` shows the
client-bound regime. The cases run interleaved, `reps` rounds, after one warm-up run, because
this machine is shared and noisy. Each round first measures the runner's fixed start-up (store,
plan, graph: a job of one call, less that call's forecast) and the cases are forecast with it
(`empathy-sim plan --job-start-s`). ratio = measured ÷ predicted (with the default
CPU figure); the target is within 15 % (0.85..1.15).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time

import simulator.llm  # noqa: F401  (offline env before litellm import)
from bench import report
from bench.loopback_plan import ServerOptions
from bench.server_process import ServerProcess
from bench.sweep_config import sweep_config
from bench.sweep_efficiency import _warm_up
from simulator.run.forecast import forecast_job
from simulator.llm.call import shutdown_litellm
from simulator.run.runner import run_async

TARGET = 0.15

# name, conversations, turns, concurrency, max in flight per model, judge method (None: no judge)
START_UP = ("start_up", 1, 1, 1, None, None)  # the opening is scripted: one subject call
CASES = [
    ("concurrency", 24, 3, 8, None, None),   # 3 waves of 8 conversations, 5 calls each
    ("in_flight", 12, 3, 16, 2, None),       # every conversation at once, 2 calls at a time per model
    ("prob_judge", 8, 2, 8, None, "prob"),   # 3 conversation calls + 16 one-token judge questions
]


def case_config(url: str, out: str, conversations: int, turns: int, concurrency: int,
                max_in_flight: int | None, judge: str | None):
    cfg = sweep_config(url, out, conversations=conversations, turns=turns, concurrency=concurrency,
                       max_in_flight=max_in_flight, judge=judge is not None)
    if judge:
        cfg = cfg.model_copy(update={"judge": cfg.judge.model_copy(update={"method": judge})})
    return cfg


def measure_once(srv, case, latency_s: float, default_cpu_ms: float, start_s: float = 0.0) -> dict:
    name, conversations, turns, concurrency, max_in_flight, judge = case
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp:
        cfg = case_config(srv.url, tmp, conversations, turns, concurrency, max_in_flight, judge)

        async def go():
            try:
                srv.reset()
                t0, c0 = time.perf_counter(), time.process_time()
                result = await run_async(cfg)
                return result, time.perf_counter() - t0, time.process_time() - c0
            finally:
                await shutdown_litellm()

        result, wall, cpu = asyncio.run(go())
        calls = srv.stats()["total"]
        cpu_ms = 1000 * cpu / calls if calls else 0.0
        fc = forecast_job(cfg, name, latency_s={"default": latency_s}, client_cpu_ms=default_cpu_ms, start_s=start_s)
        fc_cpu = forecast_job(cfg, name, latency_s={"default": latency_s}, client_cpu_ms=cpu_ms, start_s=start_s)
    return {"case": name, "conversations": conversations, "turns": turns, "concurrency": concurrency,
            "max_in_flight": max_in_flight or concurrency, "judge": judge or "-",
            "predicted_calls": fc.calls, "server_calls": calls, "written": result.written,
            "predicted_wall_s": round(fc.wall_s, 3), "limited_by": fc.limited_by, "wall_s": round(wall, 3),
            "ratio": round(wall / fc.wall_s, 3), "client_cpu_ms_per_call": round(cpu_ms, 2),
            "predicted_measured_cpu_s": round(fc_cpu.wall_s, 3), "ratio_measured_cpu": round(wall / fc_cpu.wall_s, 3),
            "start_s": round(start_s, 3), "load_1m": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.plan_check", description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--latency-ms", type=float, default=500.0)
    p.add_argument("--client-cpu-ms", type=float, default=7.0, help="as `empathy-sim plan --client-cpu-ms`")
    p.add_argument("--out", default=None, help="JSON path (default bench/results/plan_check.json)")
    ns = p.parse_args(argv)
    rows = []
    with ServerProcess(ServerOptions(latency_ms=ns.latency_ms)) as srv:
        asyncio.run(_warm_up(srv.url))  # lazy imports and client set-up out of the first case's time
        lat = ns.latency_ms / 1000.0
        measure_once(srv, ("warm-up", 2, 2, 2, None, "prob"), lat, ns.client_cpu_ms)
        for _ in range(ns.reps):
            # the runner's fixed start-up this round: a job of one call, less that call
            one = measure_once(srv, START_UP, lat, ns.client_cpu_ms)
            start = max(0.0, one["wall_s"] - one["predicted_wall_s"])
            rows.append(one)
            for case in CASES:  # interleaved: each round runs every case once
                rows.append(measure_once(srv, case, lat, ns.client_cpu_ms, start))
    print(report.table(rows, ["case", "conversations", "turns", "concurrency", "max_in_flight", "judge",
                              "predicted_calls", "server_calls", "predicted_wall_s", "wall_s", "ratio",
                              "client_cpu_ms_per_call", "predicted_measured_cpu_s", "ratio_measured_cpu",
                              "start_s", "load_1m"]))
    summary = {}
    for name, *_ in CASES:
        ratios = [r["ratio"] for r in rows if r["case"] == name]
        measured = [r["ratio_measured_cpu"] for r in rows if r["case"] == name]
        summary[name] = {"median_ratio": statistics.median(ratios), "ratios": ratios,
                         "limited_by": next(r["limited_by"] for r in rows if r["case"] == name),
                         "median_ratio_measured_cpu": statistics.median(measured)}
    ok = all(abs(s["median_ratio"] - 1) <= TARGET for s in summary.values())
    for name, s in summary.items():
        print(f"{name}: measured / predicted = {s['median_ratio']:.3f} (median of {s['ratios']}; "
              f"{s['median_ratio_measured_cpu']:.3f} with the client CPU measured in the run)")
    print(f"target within {TARGET:.0%}: {'met' if ok else 'NOT met'}")
    path = report.write("plan_check", {"target": TARGET, "target_met": ok, "latency_ms": ns.latency_ms,
                                       "client_cpu_ms": ns.client_cpu_ms, "summary": summary, "rows": rows}, ns.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
