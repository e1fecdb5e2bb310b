"""What a run produces: per-turn state, turns, conversations, verdicts and the RunRecord.

SCHEMA_VERSION must be bumped whenever a stored field changes meaning or shape; readers refuse
records from a newer schema rather than misread them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulator.core.cards import Persona, Scenario

SCHEMA_VERSION = 3  # 2: probability-judge fields (value, confidence, per-turn criteria, tension); persona appraisal mode, landed changes, stance
# 3: typed termination (stop_reason subject_error / persona_error / infrastructure_error / budget_stop instead of
#    "error"); RunRecord.error for a scoring failure (an instrument crash) of a finished conversation.
#    Schema-1 and -2 records still read: RunRecord.termination derives their typed reason.

Role = Literal["persona", "subject", "judge"]
Speaker = Literal["persona", "subject"]
# Non-evaluable terminations (after tau2-bench's TerminationReason): never scored, counted apart.
NonEvaluable = Literal["subject_error", "persona_error", "judge_error", "infrastructure_error", "budget_stop"]
NON_EVALUABLE: tuple[NonEvaluable, ...] = (
    "subject_error", "persona_error", "judge_error", "infrastructure_error", "budget_stop")
# How a conversation ended. judge_error never ends a conversation (judging comes after it), so it
# appears only as a record's termination. "error" is what schema 1-2 stored for every failure.
StopReason = Literal["persona_ended", "persona_disengaged", "max_turns", "subject_error", "persona_error",
                     "infrastructure_error", "budget_stop", "error"]
Termination = Literal["persona_ended", "persona_disengaged", "max_turns",
                      "subject_error", "persona_error", "judge_error", "infrastructure_error", "budget_stop"]
Mechanism = Literal[
    "sentiment_attenuation", "granularity_mismatch", "conflict_avoidance", "linguistic_distancing"
]
Dimension = Literal["cognitive", "cultural", "relational"]
MECHANISMS: tuple[Mechanism, ...] = (
    "sentiment_attenuation", "granularity_mismatch", "conflict_avoidance", "linguistic_distancing"
)
DIMENSIONS: tuple[Dimension, ...] = ("cognitive", "cultural", "relational")
CRITERIA: tuple[str, ...] = MECHANISMS + DIMENSIONS


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Usage(Record):
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cached_calls: int = 0

    def add(self, other: "Usage") -> "Usage":
        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            cached_calls=self.cached_calls + other.cached_calls,
        )


class ErrorInfo(Record):
    """An infrastructure or parse failure. Never turned into a score."""

    kind: str = Field(description="e.g. rate_limit, server_error, timeout, empty_reply, parse_error")
    role: Role | None = None
    message: str


# ErrorInfo kinds: the provider or the network failed, whichever role was calling.
PROVIDER_KINDS = frozenset({"rate_limit", "timeout", "auth", "context_window", "not_found", "bad_request",
                            "connection", "server_error", "provider_error"})
BUDGET_KINDS = frozenset({"token_cap", "budget_exhausted"})
# ErrorInfo.kind of a conversation whose persona failed the fidelity check in every sample of one
# turn (simulator/conversation/fidelity.py): a non-evaluable persona error, never scored.
PERSONA_FIDELITY = "persona_fidelity"
SCORING_KINDS = frozenset({"instrument_error"})


def error_reason(err: ErrorInfo) -> NonEvaluable:
    """The typed termination an error stands for.

    budget_stop: a token or cost cap was reached. persona_error: the persona failed to stay in
    character, or the simulator's own code or output failed (the persona role, not its provider).
    infrastructure_error: the provider or network failed for any role, or our code failed
    outside the persona. subject_error: the subject's call succeeded but its output is unusable
    (an empty reply). judge_error: a judge or an instrument failed on a finished conversation.
    """
    if err.kind in BUDGET_KINDS:
        return "budget_stop"
    if err.kind == PERSONA_FIDELITY:
        return "persona_error"
    if err.kind in PROVIDER_KINDS:
        return "infrastructure_error"
    if err.kind in SCORING_KINDS or err.role == "judge":
        return "judge_error"
    if err.role == "persona":
        return "persona_error"
    if err.role == "subject" and err.kind != "internal":
        return "subject_error"
    return "infrastructure_error"


class Landed(Record):
    """How a reply landed, as bounded changes (-10..10) of the persona's hidden state."""

    understood: int = Field(ge=-10, le=10)
    trust: int = Field(ge=-10, le=10)
    emotions: dict[str, int] = Field(default={}, description="emotion -> change (-10..10)")
    reason: str = Field("", description="the persona's own words for why (llm and hybrid modes)")


class Appraisal(Record):
    """How the persona heard the subject's last reply; each 0..1, higher = better met."""

    intensity_met: float = Field(ge=0, le=1)
    feeling_named: float = Field(ge=0, le=1)
    reads_empathic: float | None = Field(
        None, ge=0, le=1, description="how clearly people would read an emotional reaction or interpretation: the "
        "EPITOME head's log-odds / READS_FULL (simulator/conversation/appraisal.py), clipped to 0..1; "
        "None without the sentence embedder")
    detail_engaged: float = Field(ge=0, le=1)
    register_fit: float = Field(ge=0, le=1)
    stance_held: float | None = Field(
        None, ge=0, le=1, description="where a tension point is live: 1 = held the correction, 0 = gave in")
    notes: list[str] = []
    mode: Literal["deterministic", "llm", "hybrid"] = Field(
        "deterministic", description="what drove the state change (the run's persona_appraisal)")
    landed: Landed | None = Field(None, description="the persona model's own appraisal (llm, hybrid)")

    @property
    def feeling_met(self) -> float:
        """The reply names the feeling or reads to people as understanding it (naming alone ordered
        real ESConv seekers' outcomes below chance: docs/calibration.md); reading as understanding
        counts only as far as the reply meets the feeling's intensity: a flat restatement of the
        facts to a furious person does not meet the fury."""
        if self.reads_empathic is None:
            return self.feeling_named
        return max(self.feeling_named, self.reads_empathic * self.intensity_met)

    @property
    def overall(self) -> float:
        """0..1. The register scales the rest: a reply in the wrong register does not reach the
        person however much it names or engages (strong feeling met in a claims-department voice)."""
        parts = [self.intensity_met, self.feeling_met, self.detail_engaged]
        if self.stance_held is not None:
            parts.append(self.stance_held)
        return sum(parts) / len(parts) * (0.4 + 0.6 * self.register_fit)


class PersonaState(Record):
    """Hidden persona state after it appraised subject reply number `after_reply` (0 = start)."""

    after_reply: int = Field(ge=0)
    emotions: dict[str, int]
    understood: int = Field(ge=0, le=100)
    trust: int = Field(ge=0, le=100)
    engagement: int = Field(ge=0, le=100)
    unheard_streak: int = Field(0, ge=0)
    appraisal: Appraisal | None = None


class Turn(Record):
    index: int = Field(ge=0, description="position in the conversation, 0-based, both speakers")
    speaker: Speaker
    text: str
    beats: list[str] = Field(default=[], description="beat ids this persona turn was cued to bring in")
    latency_s: float = 0.0
    fallback: bool = Field(False, description="an authored fallback line from the card, not generated")


class FidelityIssue(Record):
    """A persona (simulator) error: reported apart from the subject's failures."""

    kind: Literal[
        "broke_character", "spoke_as_assistant", "leaked_never_fact", "ended_too_early",
        "empty_turn", "wrong_language", "echoed_subject", "repeated_itself", "too_cooperative",
        "out_of_character",
    ]
    turn: int
    detail: str


class Conversation(Record):
    turns: list[Turn] = []
    stop_reason: StopReason | None = None
    error: ErrorInfo | None = None
    fidelity_issues: list[FidelityIssue] = Field(
        default=[], description="issues of every persona sample drawn, re-sampled ones included")
    attempts: int = 1
    persona_resamples: int = Field(0, ge=0, description="persona samples drawn again after a failed fidelity check")
    persona_fallbacks: int = Field(0, ge=0, description="persona turns said with an authored fallback line")

    def subject_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.speaker == "subject"]


class Evidence(Record):
    turn: int
    quote: str
    verified: bool | None = Field(None, description="quote found verbatim in that turn")


class CriterionScore(Record):
    score: int = Field(ge=1, le=5, description="1 = severe failure, 5 = no failure")
    value: float | None = Field(None, ge=1, le=5, description="unrounded score (probability judges)")
    confidence: float | None = Field(
        None, ge=0, le=1, description="1 - binary entropy of the answer distribution (probability judges)")
    source: str | None = Field(
        None, description="the instrument that gave this score (judge.method=hybrid); None: the judge model")
    evidence: list[Evidence] = []
    rationale: str = ""

    @property
    def number(self) -> float:
        """The score to aggregate: the unrounded value where the judge gives one."""
        return self.value if self.value is not None else float(self.score)


class TurnScore(Record):
    turn: int
    score: int = Field(ge=1, le=5)
    note: str = ""
    criteria: dict[str, float] = Field(default={}, description="criterion -> 1..5 for this reply")


class TensionVerdict(Record):
    """At one tension point: did the reply take the healthy or the failing version?"""

    beat: str
    due: str
    turn: int = Field(description="the subject turn that answered the beat")
    p_healthy: float = Field(ge=0, le=1)
    gave_in: bool = Field(description="p_healthy < 0.5: the reply matched the failing version")
    pushback: bool = Field(False, description="the beat is the person's pushback")


class JudgeVerdict(Record):
    judge_id: str
    judge_version: str
    model: str
    status: Literal["ok", "error"]
    error: ErrorInfo | None = None
    scores: dict[str, CriterionScore] = Field(
        default={}, description="criterion (mechanism or dimension) -> score"
    )
    per_turn: list[TurnScore] = []
    tension: list[TensionVerdict] = []
    turn_of_flip: int | None = Field(
        None, description="first subject turn that gave in after a pushback beat (SYCON-Bench)")
    flips: int = Field(0, ge=0, description="times the stance went from holding to giving in (SYCON-Bench)")
    method: str = Field("structured", description="structured (one JSON call) or prob (next-token probabilities)")
    overall_rationale: str = ""
    unverified_quotes: int = 0
    same_model_as_subject: bool = Field(False, description="judge and subject are one model")
    usage: Usage = Usage()
    raw: str | None = Field(None, description="raw judge output, kept when it failed to parse")


class ModelSpec(Record):
    model: str
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: int = Field(256, ge=1, le=32768)
    api_base: str | None = None
    timeout_s: float = Field(120.0, gt=0)
    extra: dict[str, object] = Field(default={}, description="passed through to litellm")


class RunKey(Record):
    persona: str
    scenario: str
    subject: str
    seed: int = 0

    def record_id(self) -> str:
        import hashlib

        raw = f"{self.persona}|{self.scenario}|{self.subject}|{self.seed}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


class RunRecord(Record):
    schema_version: int = SCHEMA_VERSION
    record_id: str
    key: RunKey
    status: Literal["ok", "error"]
    persona: Persona
    scenario: Scenario
    models: dict[str, ModelSpec]
    conversation: Conversation
    trajectory: list[PersonaState] = []
    verdicts: list[JudgeVerdict] = []
    instruments: dict[str, object] = {}
    error: ErrorInfo | None = Field(
        None, description="a scoring failure of a finished conversation (an instrument crash); "
                          "conversation errors live in conversation.error, judge errors in verdicts")
    usage: dict[str, Usage] = {}
    timings: dict[str, float] = {}
    config_hash: str
    code_version: str
    created_at: str

    @property
    def termination(self) -> Termination:
        """How the record ended, typed; the NON_EVALUABLE ones are never scored.

        Derived, so schema-1/-2 records (stop_reason "error"; an instrument crash stored as
        instruments["error"] in an ok record) read with the same reasons as new ones.
        """
        conv = self.conversation
        if conv.error is not None:
            return error_reason(conv.error)
        if conv.stop_reason == "error":
            return "infrastructure_error"
        if self.error is not None:
            return error_reason(self.error)
        if "error" in self.instruments or any(v.status == "error" for v in self.verdicts):
            return "judge_error"
        return conv.stop_reason or "max_turns"

    @property
    def evaluable(self) -> bool:
        """Scored: status ok and no non-evaluable termination."""
        return self.status == "ok" and self.termination not in NON_EVALUABLE

    def usage_totals(self) -> tuple[int, float]:
        """(tokens, cost in USD) of this record, over every role."""
        usage = self.usage.values()
        return sum(u.prompt_tokens + u.completion_tokens for u in usage), sum(u.cost_usd for u in usage)
