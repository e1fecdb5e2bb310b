"""`empathy-sim pairwise SWEEP_DIR`: every pair of subject models in a sweep, judged in both orders.

Records are matched on persona × scenario × seed across subject models (evaluable records only).
Each matched pair is judged twice (judges/llm_judges/pairwise.py: A first, then B first) and written raw to
<dir>/pairwise.jsonl, a header line {"judge": ...} then one PairVerdict per pair; simulator/report/leaderboard.py
turns that file into the leaderboard that summary.json, report.md and report.html show. The summary
(and the report, when the dir has one) is rewritten at the end so they carry the leaderboard.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import orjson

from simulator.report.leaderboard import PAIRWISE, PairVerdict
from judges.llm_judges.pairwise import PairwiseJudge, mean_reply_words
from judges.seam import FinishedConversation
from judges.llm_judges.rubric import load_rubric
from simulator.llm.call import Gateway, shutdown_litellm
from simulator.core.records import ErrorInfo, ModelSpec, RunRecord
from simulator.core.store import iter_records
from simulator.report.summary import find_run_dirs


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
                      rubric_id: str) -> tuple[list[PairVerdict], list[ErrorInfo]]:
    """(verdicts, the errors of the pairs the judge failed on); a failed pair is never a win or a tie."""
    rubric = load_rubric(rubric_id)
    pairs = matched(records)
    # the pairwise scorer on the seam, each conversation against its counterpart
    scored = await asyncio.gather(*[PairwiseJudge(gateway, spec, rubric, FinishedConversation.of(b))
                                    .score(FinishedConversation.of(a)) for _, a, b in pairs])
    verdicts = [PairVerdict(key=k, task_type=a.scenario.task_type, a=a.key.subject, b=b.key.subject,
                            forward=s.conversation["forward"], backward=s.conversation["backward"],
                            a_words=mean_reply_words(a), b_words=mean_reply_words(b))
                for (k, a, b), s in zip(pairs, scored) if s.error is None]
    return verdicts, [s.error for s in scored if s.error is not None]


def write_verdicts(path: Path, judge: str, verdicts: list[PairVerdict]) -> Path:
    out = Path(path) / PAIRWISE
    with open(out, "wb") as f:
        f.write(orjson.dumps({"judge": judge}) + b"\n")
        for v in verdicts:
            f.write(orjson.dumps(v.model_dump()) + b"\n")
    return out


def run(args) -> None:
    from simulator.core.errors import fail
    from simulator.report.build import HTML, write_report
    from simulator.run.rescore import gateway_for_run
    from simulator.report.summary import write_summary

    path = Path(args.run_a)
    runs = find_run_dirs(path)
    if not runs:
        fail(f"{path}: no records.jsonl here or in the runs it lists")
    records = [r for d in runs for r in iter_records(d)]
    if len({r.key.subject for r in records if r.evaluable}) < 2:
        fail(f"{path}: a leaderboard needs evaluable records of at least two subject models "
             f"(found {sorted({r.key.subject for r in records if r.evaluable})})")
    spec = ModelSpec(model=args.model, temperature=0.0, max_tokens=args.max_tokens)
    # the first run's bounds (in flight, retries, rate limit, budget); the sweep's own call cache
    gateway = gateway_for_run(runs[0], cache_path=str(path / ".cache" / "calls.sqlite3"))

    async def main():
        try:
            return await judge_sweep(records, spec, gateway, args.rubric)
        finally:
            await shutdown_litellm()

    verdicts, failed = asyncio.run(main())
    kinds = ", ".join(f"{k}: {n}" for k, n in sorted(Counter(e.kind for e in failed).items()))
    errors = f"{len(failed)} judge error(s)" + (f" ({kinds})" if kinds else "")
    if not verdicts:
        fail(f"{path}: no pair was judged: {errors}; a pair needs the same persona × "
             "scenario × seed evaluable under two subject models")
    out = write_verdicts(path, args.model, verdicts)
    print(f"pairwise: {len(verdicts)} pair(s) judged in both orders, {errors} → {out}")
    print(f"summary → {write_summary(path)}")
    if (path / HTML).exists():
        print(f"report → {write_report(path)['html']}")
