"""Which of a record's verdicts the report reads: one rule, shared by summary, analysis,
transcripts and export."""

from __future__ import annotations

from simulator.core.records import JudgeVerdict, RunRecord


def primary_verdict(rec: RunRecord) -> JudgeVerdict | None:
    """The first judge that succeeded (the panel's others feed agreement)."""
    return next((v for v in rec.verdicts if v.status == "ok"), None)


def primary_scores(rec: RunRecord) -> dict[str, float]:
    """Criterion -> score of the primary judge (unrounded where the judge gives a value)."""
    v = primary_verdict(rec)
    return {k: s.number for k, s in v.scores.items()} if v else {}
