"""`empathy-sim pairwise SWEEP_DIR`: every pair of subject models in a sweep, judged in both orders.

Records are matched on persona × scenario × seed across subject models (evaluable records only).
Each matched pair is judged twice (judges/pairwise.py: A first, then B first) and written raw to
<dir>/pairwise.jsonl, a header line {"judge": ...} then one PairVerdict per pair; judges/leaderboard.py
turns that file into the leaderboard that summary.json, report.md and report.html show. The summary
(and the report, when the dir has one) is rewritten at the end so they carry the leaderboard.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import orjson

from judges.leaderboard import PAIRWISE, PairVerdict
from judges.pairwise import judge_orders, mean_reply_words
from judges.rubric import load_rubric
from simulator.llm.call import Gateway, shutdown_litellm
from simulator.records import ModelSpec, RunRecord
from simulator.store import iter_records
from simulator.summary import find_run_dirs


def matched(records: list[RunRecord]) -> list[tuple[str, RunRecord, RunRecord]]:
    """(key, A, B) for every pair of subject models (sorted by name) sharing a persona × scenario × seed."""
    by: dict[str, dict[tuple, RunRecord]] = defaultdict(dict)
    for r in records:
        if r.evaluable:
            by[r.key.subject][(r.key.persona, r.key.scenario, r.key.seed)] = r
    out = []
    for a, b in combinations(sorted(by), 2):
        for k in sorted(set(by[a]) & set(by[b])):
            out.append(("|".join(map(str, k)), by[a][k], by[b][k]))
    return out


async def judge_sweep(records: list[RunRecord], spec: ModelSpec, gateway: Gateway,
                      rubric_id: str) -> tuple[list[PairVerdict], int]:
    """(verdicts, pairs the judge failed on); a failed pair is never a win or a tie."""
    rubric = load_rubric(rubric_id)
    pairs = matched(records)
    results = await asyncio.gather(*[judge_orders(gateway, spec, rubric, a, b) for _, a, b in pairs])
    verdicts = [PairVerdict(key=k, task_type=a.scenario.task_type, a=a.key.subject, b=b.key.subject,
                            forward=fwd, backward=bwd, a_words=mean_reply_words(a), b_words=mean_reply_words(b))
                for (k, a, b), res in zip(pairs, results) if res is not None for fwd, bwd in [res]]
    return verdicts, sum(r is None for r in results)


def write_verdicts(path: Path, judge: str, verdicts: list[PairVerdict]) -> Path:
    out = Path(path) / PAIRWISE
    with open(out, "wb") as f:
        f.write(orjson.dumps({"judge": judge}) + b"\n")
        for v in verdicts:
            f.write(orjson.dumps(v.model_dump()) + b"\n")
    return out


def run(args) -> None:
    from simulator.cli import fail
    from simulator.llm.cache import CallCache
    from simulator.report import HTML, write_report
    from simulator.summary import write_summary

    path = Path(args.run_a)
    runs = find_run_dirs(path)
    if not runs:
        fail(f"{path}: no records.jsonl here or in the runs it lists")
    records = [r for d in runs for r in iter_records(d)]
    if len({r.key.subject for r in records if r.evaluable}) < 2:
        fail(f"{path}: a leaderboard needs evaluable records of at least two subject models "
             f"(found {sorted({r.key.subject for r in records if r.evaluable})})")
    spec = ModelSpec(model=args.model, temperature=0.0, max_tokens=args.max_tokens)
    gateway = Gateway(cache=CallCache(path / ".cache" / "calls.sqlite3"))

    async def main():
        try:
            return await judge_sweep(records, spec, gateway, args.rubric)
        finally:
            await shutdown_litellm()

    verdicts, errors = asyncio.run(main())
    if not verdicts:
        fail(f"{path}: no pair was judged: {errors} judge error(s); a pair needs the same persona × "
             "scenario × seed evaluable under two subject models")
    out = write_verdicts(path, args.model, verdicts)
    print(f"pairwise: {len(verdicts)} pair(s) judged in both orders, {errors} judge error(s) → {out}")
    print(f"summary → {write_summary(path)}")
    if (path / HTML).exists():
        print(f"report → {write_report(path)['html']}")
