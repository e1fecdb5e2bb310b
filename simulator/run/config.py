"""RunConfig: the Hydra config, validated once into pydantic, and the run plan it implies."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulator.core.card_loader import card_path, list_ids, load_persona, load_scenario
from simulator.core.records import ModelSpec, RunKey


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Models(Strict):
    persona: ModelSpec
    subject: ModelSpec
    judge: ModelSpec


class JudgeConfig(Strict):
    enabled: bool = True
    rubric: str = "relational_empathy"
    panel: list[str] = Field(default=[], description="extra judge model strings, same settings as models.judge")
    structured: Literal["schema", "json", "none"] = Field(
        "schema", description="how judge output is constrained: full JSON schema, any JSON, or free text")
    method: Literal["auto", "prob", "hybrid", "structured"] = Field(
        "auto", description="prob: yes/no questions per reply read from next-token probabilities; "
                            "hybrid: prob, with the criteria an instrument measured better taken from "
                            "the instrument; structured: one JSON call per conversation; "
                            "auto: hybrid on local/ models, structured elsewhere")


class RunOptions(Strict):
    name: str | None = Field(None, description="run directory name; default derives from the config hash")
    out_dir: str = "outputs"
    concurrency: int = Field(4, ge=1, le=1024, description="conversations in flight")
    processes: int = Field(1, ge=1, le=256, description="worker processes sharing the plan (one event loop each)")
    max_in_flight_per_model: int = Field(8, ge=1, le=4096)
    tokens_per_minute_per_model: int | None = Field(
        None, ge=1, description="prompt+completion tokens per minute per remote model endpoint; null = no limit")
    retries: int = Field(3, ge=0, le=20)
    backoff_s: float = Field(1.0, ge=0)
    cache: bool = True
    cache_path: str | None = None
    force: bool = False
    progress: bool = True
    report: bool = True
    fidelity_retries: int = Field(
        3, ge=0, le=5, description="re-samples of a persona turn that fails the fidelity check; "
        "a turn still failing says a fallback line (run.persona_fallback) or else ends the "
        "conversation as a persona error (never scored)")
    fidelity_gate: bool = Field(
        True, description="false: fidelity issues are only recorded, never re-sampled or made a "
        "persona error (for machinery tests and benchmarks whose persona is a stub)")
    persona_candidates: int = Field(
        1, ge=1, le=8, description="persona samples drawn per try; the in-character scorer ranks "
        "those that pass the check (best-of-n)")
    in_character_scorer: bool = Field(
        False, description="the persona model's own P(in character) (a yes/no question read from "
        "logprobs) joins the fidelity check; needs a provider that returns logprobs")
    persona_fallback: bool = Field(
        True, description="when every sample of a persona turn fails, say the card's authored "
        "fallback line (fallback_lines) instead of ending as a persona error; a conversation "
        "whose every generated turn was a fallback is still a persona error")
    persona_form: Literal["auto", "script", "chat", "authored"] = Field(
        "auto", description="persona request: authored = every turn after the opening is the "
        "card's authored line for the moment (fallback_lines, chosen by the beat due, the appraisal, "
        "trust gates and disengagement), no generation; script = raw completion of a transcript "
        "(embedded model); chat = role-flipped chat; auto = authored on the embedded model where "
        "the card has enough lines for the scenario, else script; chat on other models")
    persona_examples: int = Field(
        0, ge=0, le=8, description="the card's in-voice lines (fallback_lines, ungated) shown in the "
        "script header as examples of the persona's voice (few-shot); script form only")
    max_tokens_budget: int | None = Field(None, ge=1)
    max_tokens_per_conversation: int | None = Field(None, ge=1, description="persona+subject tokens; over it the conversation stops as an error")
    max_cost_usd: float | None = Field(None, ge=0)


class RunConfig(Strict):
    persona: list[str] | None = None
    scenario: list[str] | None = None
    seeds: list[int] = [0]
    max_turns: int | None = Field(None, ge=1, le=40)
    subject_system_prompt: str | None = None
    persona_appraisal: Literal["deterministic", "llm", "hybrid"] = Field(
        "deterministic", description="how the persona appraises each reply: instruments against the "
        "hidden state and card, the persona model's own bounded changes with a reason, or their mean "
        "(docs/calibration.md: which measures best on real seekers)")
    models: Models
    judge: JudgeConfig = JudgeConfig()
    run: RunOptions = RunOptions()

    @field_validator("persona", "scenario", mode="before")
    @classmethod
    def _listify(cls, v: object) -> object:
        if isinstance(v, str):
            return None if v in ("", "default", "null") else [s.strip() for s in v.split(",") if s.strip()]
        return v

    def result_fields(self) -> dict:
        """What changes results; run-time knobs (concurrency, paths, progress) do not count."""
        d = self.model_dump(mode="json")
        run = d.pop("run")
        d["fidelity_retries"] = run["fidelity_retries"]
        d["persona_form"] = run["persona_form"]
        if run["persona_form"] == "auto":
            # auto now means authored card lines on local/ models (docs/persona_fidelity.md s.7):
            # a run directory made when it meant generated lines is not resumed as if the same
            d["persona_auto"] = 2
        for k in ("persona_candidates", "in_character_scorer", "persona_fallback"):
            d[k] = run[k]
        if run["persona_examples"]:  # only when set, so earlier runs keep their hash
            d["persona_examples"] = run["persona_examples"]
        d["fidelity_gate"] = run["fidelity_gate"]
        for spec in d["models"].values():
            spec.pop("timeout_s", None)
        return d

    def config_hash(self) -> str:
        return hashlib.sha256(orjson.dumps(self.result_fields(), option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]

    def run_dir(self) -> Path:
        return Path(self.run.out_dir) / (self.run.name or f"run-{self.config_hash()}")

    def gateway_settings(self):
        """This run's model-access bounds; re-judging the run later uses them too."""
        from simulator.llm.gateway import GatewaySettings  # lazy: importing it loads litellm

        cache = None
        if self.run.cache:
            cache = Path(self.run.cache_path) if self.run.cache_path else Path(self.run.out_dir) / ".cache" / "calls.sqlite3"
        return GatewaySettings(cache_path=cache, max_in_flight=self.run.max_in_flight_per_model,
                               retries=self.run.retries, backoff_s=self.run.backoff_s,
                               tokens_per_minute=self.run.tokens_per_minute_per_model,
                               max_tokens_budget=self.run.max_tokens_budget, max_cost_usd=self.run.max_cost_usd)


def judge_specs(cfg: RunConfig) -> list[ModelSpec]:
    """The judge panel: the judge model first, then each other panel model with its settings."""
    base = cfg.models.judge
    return [base] + [base.model_copy(update={"model": m}) for m in cfg.judge.panel if m != base.model]


def plan(cfg: RunConfig) -> list[RunKey]:
    """Persona × scenario × seed for the one subject. Validates every card it names.

    With no personas given, each scenario runs with its own suggested personas (a grief scenario
    with a grieving person), which is the default suite. With personas given, it is the full cross.
    """
    scenarios = cfg.scenario or [s for s in list_ids("scenarios")]
    keys = []
    for sid in scenarios:
        sc = load_scenario(sid)
        persona_ids = cfg.persona or sc.personas[:1]
        if not persona_ids:
            raise ValueError(f"scenario {sid!r} suggests no persona; pass persona=<id>")
        for pid in persona_ids:
            load_persona(pid)
            for seed in cfg.seeds:
                keys.append(RunKey(persona=pid, scenario=sid, subject=cfg.models.subject.model, seed=seed))
    if cfg.run.persona_form == "authored":
        authored_check(cfg, keys)
    seen, unique = set(), []
    for k in keys:
        if k.record_id() not in seen:
            seen.add(k.record_id())
            unique.append(k)
    return unique


def authored_check(cfg: RunConfig, keys: list[RunKey]) -> None:
    """run.persona_form=authored says one unsaid card line per persona turn: refuse, naming the
    file and field, a card that would run out of lines before the conversation ends."""
    from simulator.conversation.fallback import check_authored  # lazy: keeps config light

    for k in keys:
        sc = load_scenario(k.scenario)
        check_authored(load_persona(k.persona), card_path("personas", k.persona), sc.id,
                       cfg.max_turns or sc.max_turns)
