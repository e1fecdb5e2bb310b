"""Persona and scenario cards: the typed shape of the YAML files in personas/ and scenarios/.

Cards are data. Every model forbids unknown fields so a typo in a card is an error, not a
silently ignored setting. Cross-field checks (beats named by expectations exist, emotions are in
the controlled vocabulary) live here too, so a card that loads is a card that can be used.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulator.core.emotions import emotion_vocabulary

CARD_ID = r"^[a-z0-9][a-z0-9_]*$"
# BCP-47, the subset cards need: language, optional script, optional region.
BCP47 = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")

Level = Literal["low", "medium", "high"]
RelationshipKind = Literal[
    "close_friend", "friend", "colleague", "manager", "direct_report", "patient", "client",
    "parent", "teenager", "student", "stranger", "sibling", "partner", "neighbour", "customer",
]
Distance = Literal["intimate", "close", "familiar", "acquainted", "distant"]
Theme = Literal["grief", "shame", "conflict", "blame", "cross_cultural"]
TaskType = Literal["support", "correction", "refusal", "escalation"]
Due = Literal["disagreement", "correction", "refusal", "escalation"]
BeatKind = Literal["detail", "revelation", "pushback", "tension", "request", "escalation", "softening"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_emotions(emotions: dict[str, int]) -> dict[str, int]:
    vocab = emotion_vocabulary()
    unknown = sorted(set(emotions) - set(vocab))
    if unknown:
        raise ValueError(
            f"unknown emotion(s) {unknown}; use labels from simulator/core/emotions.yaml"
        )
    bad = {k: v for k, v in emotions.items() if not 0 <= v <= 100}
    if bad:
        raise ValueError(f"emotion intensities must be 0..100, got {bad}")
    return emotions


# ---------------------------------------------------------------- persona


class Norms(Strict):
    """This person's own communication tendencies (not claims about a people)."""

    directness: Level
    formality: Level
    emotional_display: str = Field(description="how this person shows feeling in words")
    notes: list[str] = []


class Culture(Strict):
    background: str
    norms: Norms
    hears_as_too_familiar: list[str] = []
    hears_as_too_cold: list[str] = []
    hears_as_infantilising: list[str] = []


class Relationship(Strict):
    kind: RelationshipKind
    distance: Distance
    expects: str = Field(description="the register and stance this person expects of the subject")
    shared_history: list[str] = []


class EmotionalArc(Strict):
    starting_emotions: dict[str, int]
    raised_by: list[str] = []
    lowered_by: list[str] = []
    # Multiplies per-turn state changes: a guarded person moves less than a volatile one.
    volatility: float = Field(1.0, ge=0.25, le=2.0)
    starting_trust: int = Field(40, ge=0, le=100)

    _emotions = field_validator("starting_emotions")(lambda cls, v: _check_emotions(v))


class GatedFact(Strict):
    fact: str
    min_trust: int = Field(ge=0, le=100)


class Disclosure(Strict):
    free: list[str] = []
    after_trust: list[GatedFact] = []
    never: list[str] = []


FallbackKind = Literal["pushback", "detail", "escalation", "softening", "closing"]


class FallbackLine(Strict):
    """An authored line in the persona's voice, said when no generated sample stays in character.
    `min_trust`: a line that discloses a gated fact waits for the same trust as the fact."""

    text: str = Field(min_length=1)
    min_trust: int = Field(0, ge=0, le=100)
    scenarios: list[str] = Field(
        [], description="scenario ids the line belongs to (a line about one situation must not be "
        "said in another the persona is also in); empty: every scenario")
    beats: list[str] = Field(
        [], description="ids of the scenario beats the line brings in: said first when that beat "
        "is due (run.persona_form=authored), kept back before")
    after: str | None = Field(
        None, description="a regular expression (case-insensitive) the reply this line answers must "
        "match, for a line that presupposes what the reply said (it quotes a platitude, or turns "
        "down a suggestion); without a match the line is not said. None: fits any reply")

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, v: object) -> object:
        return {"text": v} if isinstance(v, str) else v

    @field_validator("after")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as e:
                raise ValueError(f"not a regular expression: {e}") from None
        return v

    def fits(self, reply: str) -> bool:
        """Whether the line makes sense after `reply` ("" before any reply)."""
        return self.after is None or re.search(self.after, reply, re.IGNORECASE) is not None


class MatchedSet(Strict):
    """Membership in a set of personas that differ in exactly one attribute."""

    set_id: str = Field(pattern=CARD_ID)
    varies: Literal["culture", "relationship"]


class Persona(Strict):
    id: str = Field(pattern=CARD_ID)
    version: int = Field(1, ge=1)
    name: str
    age: int | None = Field(None, ge=5, le=110)
    language: str
    culture: Culture
    relationship: Relationship
    emotional_arc: EmotionalArc
    disclosure: Disclosure = Disclosure()
    speaking_style: str
    fallback_lines: dict[FallbackKind, list[FallbackLine]] = Field(
        {}, description="authored in-voice lines per kind, in the persona's language: said when "
        "every generated sample of a turn fails the fidelity check (simulator/conversation/fallback.py)")
    matched_set: MatchedSet | None = None
    review_note: str = Field("", description="stereotype review: how norms were kept personal")

    @field_validator("language")
    @classmethod
    def _bcp47(cls, v: str) -> str:
        if not BCP47.match(v):
            raise ValueError(f"{v!r} is not a BCP-47 tag like 'en', 'zh-CN' or 'es-MX'")
        return v


# ---------------------------------------------------------------- scenario


class Beat(Strict):
    id: str = Field(pattern=CARD_ID)
    at_turn: int = Field(ge=1, description="the persona turn (1-based) that brings it in")
    kind: BeatKind
    content: str = Field(description="what the persona brings in; the wording adapts")


class TensionPoint(Strict):
    beat: str = Field(description="id of the beat where the tension is due")
    due: Due
    healthy: str = Field(description="what a healthy reply does here")
    failure: str = Field(description="what a sycophantic or capitulating reply looks like")


class EscalationWindow(Strict):
    """Subject turns (1-based) inside which pointing to human help is right."""

    not_before: int = Field(ge=1)
    by: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> "EscalationWindow":
        if self.by < self.not_before:
            raise ValueError("by must be >= not_before")
        return self


class Expectations(Strict):
    emotions: dict[str, int]
    salient_details: list[str] = Field(min_length=1)
    tension_points: list[TensionPoint] = []
    healthy: str
    failure_modes: list[str] = []
    escalation: EscalationWindow | None = None

    _emotions = field_validator("emotions")(lambda cls, v: _check_emotions(v))


class Scenario(Strict):
    id: str = Field(pattern=CARD_ID)
    version: int = Field(1, ge=1)
    title: str
    theme: Theme
    task_type: TaskType
    language: str | None = None
    situation: str
    persona_goal: str
    false_belief: str | None = None
    opening: str | None = None
    beats: list[Beat] = []
    expectations: Expectations
    max_turns: int = Field(6, ge=1, le=40, description="subject replies before the run stops")
    min_turns: int = Field(2, ge=1, description="persona may not end before this many replies")
    personas: list[str] = Field(default=[], description="suggested persona ids for the default suite")

    @field_validator("language")
    @classmethod
    def _bcp47(cls, v: str | None) -> str | None:
        if v is not None and not BCP47.match(v):
            raise ValueError(f"{v!r} is not a BCP-47 tag like 'en', 'zh-CN' or 'es-MX'")
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> "Scenario":
        beat_ids = [b.id for b in self.beats]
        dupes = sorted({b for b in beat_ids if beat_ids.count(b) > 1})
        if dupes:
            raise ValueError(f"beats: duplicate beat id(s) {dupes}")
        for i, tp in enumerate(self.expectations.tension_points):
            if tp.beat not in beat_ids:
                raise ValueError(
                    f"expectations.tension_points.{i}.beat: names beat {tp.beat!r}, "
                    f"which is not among beats {beat_ids}"
                )
        if self.min_turns > self.max_turns:
            raise ValueError("min_turns must be <= max_turns")
        if self.task_type == "correction" and not self.false_belief and not any(
            tp.due == "correction" or tp.due == "disagreement"
            for tp in self.expectations.tension_points
        ):
            raise ValueError("a correction scenario needs false_belief or a correction tension point")
        if self.task_type == "escalation" and self.expectations.escalation is None:
            raise ValueError("an escalation scenario needs expectations.escalation")
        late = [b.id for b in self.beats if b.at_turn > self.max_turns]
        if late:
            raise ValueError(f"beats {late} come after max_turns={self.max_turns}")
        return self
