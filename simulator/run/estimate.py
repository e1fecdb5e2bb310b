"""Expected model calls and tokens of one conversation, before it runs.

The prompts are built with the same builders the run uses (persona, subject, judges), over a
stand-in conversation whose turns are as long as the assumptions below say, and measured with
the rule the tokens-per-minute limiter uses (characters ÷ 4 + 4 per message), so the estimate
follows the cards (their length, beats, tension points, opening) and the config (turns,
max_tokens, judge method and panel, persona form and appraisal).

What it assumes (ASSUMPTIONS, printed by `empathy-sim plan`): every conversation runs its full
length (no early end, no disengagement, no error); no persona turn is re-sampled and no call is
retried or served from the cache; every reply uses `fill` × max_tokens tokens (1.0: the most it
may, the same upper bound the limiter reserves); a structured judge parses on its first try; each
tension beat arrives at the turn the card gives it.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from simulator.core.cards import Persona, Scenario
from simulator.run.config import RunConfig
from simulator.llm.rate_limit import CHARS_PER_TOKEN, estimate_tokens
from simulator.core.records import Conversation, ModelSpec, RunKey, Turn

ASSUMPTIONS = (
    "every conversation runs its full length (no early end, disengagement or error)",
    "no persona re-samples, no retries, no cache hits",
    "each reply is fill x max_tokens tokens long; prompts are characters / 4 + 4 per message",
    "a structured judge parses at the first try; tension beats arrive at the card's turn",
)


class RoleCalls(BaseModel):
    """One role's calls in one conversation (or summed over many)."""

    model_config = ConfigDict(extra="forbid")
    model: str
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def plus(self, other: "RoleCalls", times: int = 1) -> "RoleCalls":
        return RoleCalls(model=self.model, calls=self.calls + times * other.calls,
                         prompt_tokens=self.prompt_tokens + times * other.prompt_tokens,
                         completion_tokens=self.completion_tokens + times * other.completion_tokens)


class ConversationEstimate(BaseModel):
    """roles: persona, subject, judge, judge1, … (as in RunRecord.models); `chain`: the calls
    one after another on the conversation's critical path (persona and subject take turns; the
    judges of a panel run side by side, so only the longest counts)."""

    model_config = ConfigDict(extra="forbid")
    roles: dict[str, RoleCalls]
    chain: dict[str, int]

    @property
    def calls(self) -> int:
        return sum(r.calls for r in self.roles.values())


def _filler(tokens: int) -> str:
    return ("abc " * max(0, tokens))[: CHARS_PER_TOKEN * max(0, tokens)]


def _reply_tokens(spec: ModelSpec, fill: float) -> int:
    return max(1, round(spec.max_tokens * fill))


def _charge(rc: RoleCalls, messages: list[dict], completion: int) -> None:
    rc.calls += 1
    rc.prompt_tokens += estimate_tokens(messages, None)
    rc.completion_tokens += completion


def stand_in(persona: Persona, scenario: Scenario, turns: int, persona_tokens: int,
             subject_tokens: int, opening: bool) -> Conversation:
    """A full-length conversation of filler turns, beats where the card cues them."""
    out: list[Turn] = []
    for n in range(1, turns + 1):
        beats = [b.id for b in scenario.beats if b.at_turn == n]
        text = scenario.opening.strip() if n == 1 and opening else _filler(persona_tokens)  # type: ignore[union-attr]
        out.append(Turn(index=len(out), speaker="persona", text=text, beats=beats))
        out.append(Turn(index=len(out), speaker="subject", text=_filler(subject_tokens)))
    return Conversation(turns=out, stop_reason="max_turns")


def estimate_conversation(cfg: RunConfig, persona: Persona, scenario: Scenario, fill: float = 1.0
                          ) -> ConversationEstimate:
    from judges.llm_judges.methods import resolve_method
    from simulator.conversation.appraisal import context_from_turns, initial_state
    from simulator.conversation.graph import _opening_fits
    from simulator.conversation.persona_prompt import subject_messages
    from simulator.conversation.persona_turn import generation_form, persona_request, resolve_form

    turns = cfg.max_turns or scenario.max_turns
    p_spec, s_spec = cfg.models.persona, cfg.models.subject
    p_tok, s_tok = _reply_tokens(p_spec, fill), _reply_tokens(s_spec, fill)
    opening = _opening_fits(persona, scenario)
    conv = stand_in(persona, scenario, turns, p_tok, s_tok, opening)
    form = resolve_form(cfg.run.persona_form, p_spec.model, persona, scenario, cfg.max_turns)
    state = initial_state(persona, scenario)
    pc, sc = RoleCalls(model=p_spec.model), RoleCalls(model=s_spec.model)
    for n in range(1, turns + 1):
        before = conv.turns[: 2 * (n - 1)]
        if not (n == 1 and opening) and not (form == "authored" and n > 1):  # authored: no call
            beats = [b for b in scenario.beats if b.at_turn == n]
            _, messages = persona_request(generation_form(form, p_spec.model), p_spec, persona,
                                          scenario, state, before, beats,
                                          closing=False, replies_so_far=n - 1)
            _charge(pc, messages, p_tok)
        upto = conv.turns[: 2 * n - 1]
        _charge(sc, subject_messages(cfg.subject_system_prompt, upto), s_tok)
        if cfg.persona_appraisal in ("llm", "hybrid"):
            from simulator.conversation.appraisal_llm import ANSWER_TOKENS, appraisal_messages

            ctx = context_from_turns(persona, scenario, conv.turns[: 2 * n], [state])
            _charge(pc, appraisal_messages(conv.turns[2 * n - 1].text, ctx, state), ANSWER_TOKENS)
    roles = {"persona": pc, "subject": sc}
    chain = {"persona": pc.calls, "subject": sc.calls}
    if cfg.judge.enabled:
        from simulator.run.config import judge_specs

        longest = 0
        for i, spec in enumerate(judge_specs(cfg)):
            jc = _judge_calls(cfg, spec, resolve_method(cfg.judge.method, spec.model), persona, scenario,
                              conv, [state] * (turns + 1))
            roles[f"judge{i or ''}"] = jc
            longest = max(longest, jc.calls)
        chain["judge"] = longest
    return ConversationEstimate(roles=roles, chain=chain)


def _judge_calls(cfg: RunConfig, spec: ModelSpec, method: str, persona: Persona, scenario: Scenario,
                 conv: Conversation, trajectory: list) -> RoleCalls:
    from judges.llm_judges.rubric import load_rubric

    rubric = load_rubric(cfg.judge.rubric)
    jc = RoleCalls(model=spec.model)
    if method == "structured":
        from judges.llm_judges.render import render_judge_prompt

        _charge(jc, render_judge_prompt(rubric, persona, scenario, conv, trajectory), _reply_tokens(spec, 1.0))
        return jc
    from judges.llm_judges.prob import conversation_roles, probe_messages, reply_context
    from judges.llm_judges.tension import checks, tension_messages

    from judges.llm_judges.hybrid import routes_for

    roles = conversation_roles(persona)
    routed = routes_for(method)
    asked = [c for name, c in rubric.criteria.items() if name not in routed]
    forms = {crit.context for crit in asked}
    for t in conv.subject_turns():
        history = Conversation(turns=conv.turns[: t.index + 1])
        ctx = {form: reply_context(form, persona, scenario, history) for form in forms}
        for crit in asked:
            for probe in crit.probes:
                for question in probe_messages(probe, roles):
                    _charge(jc, [ctx[crit.context], question], 1)  # a one-token answer
    for tp, reply, _ in checks(scenario, conv):
        for healthy_first in (True, False):
            _charge(jc, tension_messages(persona, scenario, conv, reply, tp, healthy_first), 1)
    return jc


@lru_cache(maxsize=4096)
def _cached(shape_json: str, persona_id: str, scenario_id: str, fill: float) -> ConversationEstimate:
    from simulator.core.card_loader import load_persona, load_scenario

    cfg = RunConfig.model_validate_json(shape_json)
    return estimate_conversation(cfg, load_persona(persona_id), load_scenario(scenario_id), fill)


def shape_json(cfg: RunConfig) -> str:
    """The config with the subject's model name left out: nothing in the estimate depends on it
    (its prompts are the same for any subject), so a sweep over subject models estimates once."""
    models = cfg.models.model_copy(update={"subject": cfg.models.subject.model_copy(update={"model": "subject"})})
    return cfg.model_copy(update={"models": models}).model_dump_json()


def estimate_key(cfg: RunConfig, key: RunKey, fill: float = 1.0, shape: str | None = None) -> ConversationEstimate:
    """The estimate for one planned conversation; the seed changes nothing, so it is computed
    once per (config shape, persona, scenario), and the same object is returned for each seed.
    Pass `shape` (shape_json(cfg)) when estimating many."""
    return _labelled(shape or shape_json(cfg), key.persona, key.scenario, fill, cfg.models.subject.model)


@lru_cache(maxsize=65536)
def _labelled(shape: str, persona_id: str, scenario_id: str, fill: float, subject: str) -> ConversationEstimate:
    est = _cached(shape, persona_id, scenario_id, fill)
    roles = {**est.roles, "subject": est.roles["subject"].model_copy(update={"model": subject})}
    return est.model_copy(update={"roles": roles})
