"""The one scoring step. A finished conversation goes through the scorers on the seam
(judges/seam.py): every instrument family and each judge of the panel. The runner calls it after
each conversation, re-scoring a saved run calls it with the new judges, so both give the same
kind of result from the same code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from judges.instruments.conversation import FAMILIES, merge_instruments
from judges.llm_judges.methods import RubricJudge
from judges.seam import FinishedConversation, Scorer, score_all
from simulator.core.records import ErrorInfo, JudgeVerdict, ModelSpec
from simulator.llm.call import Gateway


@dataclass
class Scored:
    """What a record keeps of its scores: the merged instrument readings, the verdicts in
    panel order, and the first scorer error (the record is then an error: never scored)."""

    instruments: dict = field(default_factory=dict)
    verdicts: list[JudgeVerdict] = field(default_factory=list)
    error: ErrorInfo | None = None


def judge_scorers(gateway: Gateway, specs: Sequence[ModelSpec], *, method: str = "auto",
                  rubric_id: str = "relational_empathy", structured: str = "schema") -> list[Scorer]:
    return [RubricJudge(gateway, spec, method=method, rubric_id=rubric_id, structured=structured) for spec in specs]


def instrument_scorers() -> list[Scorer]:
    return list(FAMILIES)


async def score_conversation(item: FinishedConversation, scorers: Sequence[Scorer]) -> Scored:
    results = await score_all(scorers, item)
    instruments = [s for s in results.values() if s.kind == "instrument"]
    failed = next((s.error for s in instruments if s.error is not None), None)
    return Scored(
        instruments=merge_instruments(instruments) if instruments and failed is None else {},
        verdicts=[s.verdict for s in results.values() if s.kind == "judge" and s.verdict is not None],
        error=failed,
    )
