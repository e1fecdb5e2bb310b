"""The one scorer seam: every scorer takes a finished conversation and returns typed scores.

An instrument family, the rubric judge (either method) and the pairwise judge all satisfy
`Scorer`: `name` (the key its scores are filed under) and `score(item) -> Scores`. The runner's
scoring step and re-scoring a saved run call the same scorers through `score_all`, so a scorer
added here is run, stored and re-scored in one way. After inspect_ai's `Scorer`: the scorer gets
the whole finished sample, not one reply, and a scorer's own failure is its result (an error),
never an exception that loses the conversation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from simulator.core.cards import Persona, Scenario
from simulator.core.records import Conversation, ErrorInfo, JudgeVerdict, PersonaState, RunRecord


class FinishedConversation(BaseModel):
    """What every scorer sees: who spoke, in which scenario, what was said, and how the
    persona's hidden state moved (trajectory[k] = the state after subject reply k)."""

    model_config = ConfigDict(frozen=True)

    persona: Persona
    scenario: Scenario
    conversation: Conversation
    trajectory: list[PersonaState] = Field(default_factory=list)
    seed: int = 0
    subject_model: str | None = None

    @classmethod
    def of(cls, rec: RunRecord) -> FinishedConversation:
        return cls(persona=rec.persona, scenario=rec.scenario, conversation=rec.conversation,
                   trajectory=list(rec.trajectory), seed=rec.key.seed, subject_model=rec.key.subject)


class Scores(BaseModel):
    """One scorer's result. Instrument families fill `per_turn` (one row per subject reply,
    keyed by metric, with the reply's turn index under "turn") and `conversation`; judges fill
    `verdict`; pairwise fills `comparison` (criterion -> "a" | "b" | "tie"). A scorer that
    failed says so in `error` and carries no numbers."""

    scorer: str
    kind: Literal["instrument", "judge", "pairwise"]
    per_turn: list[dict] = Field(default_factory=list)
    conversation: dict = Field(default_factory=dict)
    verdict: JudgeVerdict | None = None
    comparison: dict[str, str] = Field(default_factory=dict)
    error: ErrorInfo | None = None

    @property
    def ok(self) -> bool:
        if self.error is not None:
            return False
        return self.verdict is None or self.verdict.status == "ok"


@runtime_checkable
class Scorer(Protocol):
    name: str

    async def score(self, item: FinishedConversation) -> Scores: ...


async def score_all(scorers: Sequence[Scorer], item: FinishedConversation) -> dict[str, Scores]:
    """Every scorer on one conversation, concurrently; keyed by scorer name, in the given order."""
    names = [s.name for s in scorers]
    if len(set(names)) != len(names):
        raise ValueError(f"two scorers share a name: {names}")
    results = await asyncio.gather(*[s.score(item) for s in scorers])
    return dict(zip(names, results))
