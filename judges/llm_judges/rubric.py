"""Rubrics are data (judges/llm_judges/rubrics/*.yaml); this module types and loads them."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from simulator.core.records import CRITERIA


class Probe(BaseModel):
    """One question a probability judge asks about a single reply: yes/no (`ask`, oriented by
    `yes_means`), or a choice between a healthy and a failing description (`healthy` and
    `failure`: A or B, asked in both orders so a preference for the first slot cannot decide)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    ask: str | None = None
    yes_means: Literal["healthy", "failure"] = "healthy"
    healthy: str | None = None
    failure: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> "Probe":
        choice = self.healthy is not None or self.failure is not None
        if choice == (self.ask is not None) or choice and not (self.healthy and self.failure):
            raise ValueError("a probe is either a yes/no question (ask) or a choice (healthy and failure)")
        return self

    @property
    def is_choice(self) -> bool:
        return self.healthy is not None

    @property
    def text(self) -> str:
        """What identifies the probe's wording (for prompt versions)."""
        return f"{self.healthy}|{self.failure}" if self.is_choice else f"{self.ask}{self.yes_means}"


# The shared contexts a probability judge can ask a criterion's probes after (Criterion.context).
ContextForm = Literal["conversation", "exchange"]
CONTEXT_FORMS: tuple[ContextForm, ...] = ("conversation", "exchange")


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["mechanism", "dimension"]
    question: str
    against: str
    levels: dict[int, str]
    probes: tuple[Probe, ...] = ()
    # What the probability judge shows before this criterion's probes in a conversation: the whole
    # conversation with the card ("conversation"), or only the reply and the message it answers
    # ("exchange": the form every calibration set is judged in, so the figure shown beside the
    # score is the figure of the form that made it).
    context: ContextForm = "conversation"

    @model_validator(mode="after")
    def _all_levels(self) -> "Criterion":
        if sorted(self.levels) != [1, 2, 3, 4, 5]:
            raise ValueError(f"levels must be exactly 1..5, got {sorted(self.levels)}")
        return self


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: int
    criteria: dict[str, Criterion]

    @model_validator(mode="after")
    def _covers_criteria(self) -> "Rubric":
        missing = [c for c in CRITERIA if c not in self.criteria]
        extra = [c for c in self.criteria if c not in CRITERIA]
        if missing or extra:
            raise ValueError(f"rubric criteria mismatch: missing {missing}, unknown {extra}")
        return self


@lru_cache(maxsize=8)
def load_rubric(rubric_id: str = "relational_empathy") -> Rubric:
    path = files("judges.llm_judges").joinpath("rubrics", f"{rubric_id}.yaml")
    if not path.is_file():
        raise ValueError(f"unknown rubric {rubric_id!r} (looked for judges/llm_judges/rubrics/{rubric_id}.yaml)")
    try:
        return Rubric.model_validate(yaml.safe_load(path.read_text("utf-8")))
    except Exception as e:
        raise ValueError(f"judges/llm_judges/rubrics/{rubric_id}.yaml: {e}") from None
