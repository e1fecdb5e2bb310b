"""Forecast a run or a -m sweep (calls, tokens, cost per role; wall time) without running it.

    empathy-sim plan [-m] [key=value ...] [--latency-s 2] [--latency judge=0.3] [--workers 8]

Takes the same overrides as a run (a sweep with -m: one job per combination, expanded by Hydra's
own sweeper), plans every job with simulator.run.config.plan, and prints the forecast of
simulator.run.forecast (whose docstring says how each figure is worked out and what it assumes).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("overrides", nargs="*", help="config overrides, as for a run")
    p.add_argument("-m", "--multirun", action="store_true", help="expand sweep overrides (a=1,2) into jobs")
    p.add_argument("--latency-s", type=float, default=None,
                   help="seconds per model call, every role (default 1.0, or measured with --latency-from)")
    p.add_argument("--latency", action="append", default=[], metavar="ROLE=SECONDS",
                   help="per-role latency (persona, subject, judge), e.g. judge=0.3; repeatable")
    p.add_argument("--latency-from", default=None, metavar="RUN_DIR",
                   help="mean per-call latency of each role measured in a finished run's records")
    p.add_argument("--fill", type=float, default=1.0,
                   help="share of max_tokens a reply uses (1.0: the most it may, an upper bound)")
    p.add_argument("--client-cpu-ms", type=float, default=7.0,
                   help="client CPU per remote call on one event loop (bench/README.md (b): ~6.9 ms)")
    p.add_argument("--job-start-s", type=float, default=0.0,
                   help="seconds each job spends before its first call (interpreter, imports, plan); default 0")
    p.add_argument("--workers", type=int, default=1,
                   help="jobs run side by side (joblib n_jobs, Ray task slots); default 1")
    p.add_argument("--json", action="store_true", help="print the forecast as JSON")


def latencies(args: argparse.Namespace) -> dict[str, float]:
    from simulator.core.errors import fail

    out: dict[str, float] = {"default": 1.0 if args.latency_s is None else args.latency_s}
    if args.latency_from:
        out.update(measured_latency(args.latency_from))
    for item in args.latency:
        role, _, value = item.partition("=")
        try:
            out[role.strip()] = float(value)
        except ValueError:
            fail(f"--latency {item!r}: expected ROLE=SECONDS, e.g. judge=0.3")
    return out


def measured_latency(run_dir: str) -> dict[str, float]:
    """Mean seconds per call by role, from a run's records (turn latencies; judging time ÷ calls)."""
    from pathlib import Path

    from simulator.core.errors import fail
    from simulator.core.store import iter_records

    time: dict[str, float] = {}
    calls: dict[str, int] = {}
    if not (Path(run_dir) / "records.jsonl").exists():
        fail(f"--latency-from {run_dir}: no records.jsonl (is this a run directory?)")
    for rec in iter_records(Path(run_dir)):
        for t in rec.conversation.turns:
            time[t.speaker] = time.get(t.speaker, 0.0) + t.latency_s
        for role in ("persona", "subject"):
            calls[role] = calls.get(role, 0) + (rec.usage[role].calls if role in rec.usage else 0)
        if "judging_s" in rec.timings and "judge" in rec.usage:
            time["judge"] = time.get("judge", 0.0) + rec.timings["judging_s"]
            calls["judge"] = calls.get("judge", 0) + rec.usage["judge"].calls
    return {r: time[r] / calls[r] for r in time if calls.get(r)}


def job_overrides(overrides: list[str], multirun: bool) -> list[list[str]]:
    if not multirun:
        return [overrides]
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


def run(args: argparse.Namespace) -> None:
    import simulator.llm  # noqa: F401  (offline price table before litellm is imported)
    from hydra import compose, initialize_config_module
    from omegaconf import OmegaConf

    from simulator.core.card_loader import CardError
    from simulator.cli.main import check_overrides, fail, to_run_config
    from simulator.run.forecast import SweepForecast, forecast_job

    if args.workers < 1 or not 0 < args.fill <= 1:
        fail("--workers must be at least 1 and --fill within (0, 1]")
    lat = latencies(args)
    jobs = job_overrides(check_overrides(args.overrides), args.multirun)
    # a job is named by what sets it apart from the others (every override for a single job)
    common = set.intersection(*(set(j) for j in jobs)) if len(jobs) > 1 else set()
    forecasts = []
    with initialize_config_module(config_module="simulator.conf", version_base="1.3"):
        for job in jobs:
            try:
                cfg = to_run_config(OmegaConf.to_container(compose(config_name="config", overrides=job), resolve=True))
                forecasts.append(forecast_job(cfg, " ".join(o for o in job if o not in common), latency_s=lat, fill=args.fill,
                                              client_cpu_ms=args.client_cpu_ms, start_s=args.job_start_s))
            except (CardError, ValueError) as e:
                fail(f"job {' '.join(job) or '(defaults)'}: {e}")
    sweep = SweepForecast(jobs=forecasts, workers=args.workers, latency_s=lat,
                          client_cpu_ms=args.client_cpu_ms, fill=args.fill, job_start_s=args.job_start_s)
    if args.json:
        sys.stdout.write(sweep.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(render(sweep))


def _cost(v: float | None) -> str:
    return "unpriced" if v is None else f"${v:,.2f}"


def _duration(s: float) -> str:
    if s < 120:
        return f"{s:.1f} s"
    if s < 2 * 3600:
        return f"{s / 60:.1f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def render(sweep) -> str:
    lines = [f"{len(sweep.jobs)} job(s), {sweep.conversations:,} conversation(s)"]
    lines.append(f"{'role':<8} {'model':<28} {'calls':>12} {'prompt tok':>15} {'completion tok':>15} {'cost':>12}")
    for r in sweep.role_totals():
        lines.append(f"{r.role:<8} {r.model[:28]:<28} {r.calls:>12,} {r.prompt_tokens:>15,} "
                     f"{r.completion_tokens:>15,} {_cost(r.cost_usd):>12}")
    totals = sweep.role_totals()
    cost = None if any(r.cost_usd is None for r in totals) else sum(r.cost_usd or 0 for r in totals)
    calls = sum(r.calls for r in totals)
    tokens = sum(r.prompt_tokens + r.completion_tokens for r in totals)
    lines.append(f"{'total':<37} {calls:>12,} {tokens:>31,} tokens {_cost(cost):>5}"
                 + (" (priced roles only: $" + f"{sum(r.cost_usd or 0 for r in totals):,.2f})" if cost is None else ""))
    shown = {k: v for k, v in sweep.latency_s.items() if k != "default" or not {"persona", "subject", "judge"} <= set(sweep.latency_s)}
    lat = ", ".join(f"{k} {v:g} s" for k, v in shown.items())
    lines.append(f"latency per call: {lat}; client CPU {sweep.client_cpu_ms:g} ms per remote call; "
                 f"replies at {sweep.fill:g} x max_tokens; job start-up {sweep.job_start_s:g} s")
    show = sweep.jobs if len(sweep.jobs) <= 5 else [max(sweep.jobs, key=lambda j: j.wall_s)]
    if len(sweep.jobs) > 5:
        walls = sorted(j.wall_s for j in sweep.jobs)
        lines.append(f"{len(sweep.jobs)} jobs' wall times: shortest {_duration(walls[0])}, median "
                     f"{_duration(walls[len(walls) // 2])}, longest {_duration(walls[-1])}; the longest:")
    for j in show:
        lines.append(f"job {j.job or '(defaults)'}: {j.conversations:,} conversations, {j.calls:,} calls, "
                     f"wall {_duration(j.wall_s)}, limited by {j.limited_by}"
                     + (f" (after {_duration(j.start_s)} start-up)" if j.start_s else ""))
        width = max(len(b.name) for b in j.bounds)
        for b in sorted(j.bounds, key=lambda b: -b.seconds):
            lines.append(f"    {b.name:<{width}}  {_duration(b.seconds):>10}")
    lines.append(f"predicted wall time: {_duration(sweep.wall_s)} with {sweep.workers} worker(s) running jobs side by side")
    lines.append("assumes: " + "; ".join(sweep.assumptions))
    return "\n".join(lines) + "\n"
