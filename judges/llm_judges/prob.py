"""The probability judge: each criterion a short yes/no question about one reply, answered from
the next-token distribution instead of a written score.

A 1.5B model asked for seven scores in one JSON object gives every criterion the same number;
asked one plain question at a time, its P(yes) orders replies the way people do far better
(docs/calibration.md). For every subject reply, one shared context (the person, the scenario's
ground truth, the history up to and including that reply) is followed by each criterion's
questions (the rubric's `probes`); the embedded model evaluates that context once and each
question costs only its own few tokens (PrefixStates marks). Reply values are averaged into the
conversation's criterion scores.

P(yes) is read from the FIRST answer position only, as the yes/no mass among the provider's top
alternatives; a provider that returns no logprobs, or whose top alternatives hold neither answer,
is a judge error, never a silent fallback to a sampled answer (DeepEval's G-Eval #1029, #3000).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence

from judges.instruments.criterion_scorers import ScaleError, criterion_reading
from judges.llm_judges.hybrid import hybrid_version
from judges.llm_judges.answers import TOP_LOGPROBS, Answer, AnswerError, read_yes_no
from judges.llm_judges.contexts import (  # noqa: F401 (re-exported: the judge's context)
    Roles, context_message, conversation_context, conversation_roles, single_exchange_context,
)
from judges.llm_judges.rubric import CONTEXT_FORMS, Probe, Rubric, load_rubric
from judges.llm_judges.tension import choice_question, flip_stats, judge_tension_points, p_healthy_both_orders
from simulator.core.cards import Persona, Scenario
from simulator.llm.call import BudgetExceeded, Gateway, ModelCallError
from simulator.core.records import (
    Conversation, CriterionScore, ErrorInfo, JudgeVerdict, ModelSpec, TurnScore, Usage,
)

JUDGE_ID = "prob_judge"
# No system prompt: on Qwen2.5-1.5B a plain-words context ("The client said: ...", "The
# counsellor replied: ...") with the question as its own message ordered PAIR replies better
# than a system prompt with tagged PERSON/SUBJECT blocks (docs/calibration.md, "Prompt form").
# Quoted texts are still neutralised (no tags, no control tokens).
CONTEXT_FORMAT = "plain-words-2"  # bump when the context or question wording changes


def oriented(answer: Answer, probe: Probe) -> float:
    """The probability that the reply is healthy on this probe."""
    return answer.p_yes if probe.yes_means == "healthy" else 1.0 - answer.p_yes


def question_message(probe: Probe, roles: Roles) -> dict:
    ask = probe.ask.format(person=roles.person, replier=roles.replier)
    return {"role": "user", "content": f"{ask} Answer yes or no."}


def choice_parts(probe: Probe, roles: Roles) -> tuple[str, str, str]:
    """(how the question names the reply, healthy, failure) for a choice probe."""
    fill = dict(person=roles.person, replier=roles.replier)
    return f"the {roles.replier}'s reply", probe.healthy.format(**fill), probe.failure.format(**fill)


def probe_messages(probe: Probe, roles: Roles) -> list[dict]:
    """The question message(s) a probe sends after the context: one, or a choice in both orders."""
    if probe.is_choice:
        return [choice_question(*choice_parts(probe, roles), healthy_first) for healthy_first in (True, False)]
    return [question_message(probe, roles)]


async def ask(gateway: Gateway, spec: ModelSpec, context: dict, probe: Probe, roles: Roles,
              seed: int = 0) -> tuple[float, float, Usage]:
    """(P(healthy), confidence, usage) for one probe after the shared context; a choice probe is
    asked in both orders; raises ModelCallError or AnswerError."""
    if probe.is_choice:
        p, usage = await p_healthy_both_orders(gateway, spec, [context], *choice_parts(probe, roles), seed=seed)
        return p, Answer(p, 1.0).confidence, usage
    messages = [context, question_message(probe, roles)]
    comp = await gateway.complete(spec, messages, role="judge", seed=seed, logprobs=TOP_LOGPROBS)
    answer = read_yes_no(comp.top_logprobs or [])
    return oriented(answer, probe), answer.confidence, comp.usage


async def score_reply(gateway: Gateway, spec: ModelSpec, context: dict, roles: Roles, rubric: Rubric,
                      criteria: Sequence[str] | None = None, seed: int = 0,
                      ) -> tuple[dict[str, tuple[float, float]], Usage]:
    """criterion -> (P(healthy) averaged over its probes, mean confidence), for one reply.

    Questions about one reply run one after another so they reuse its context's state.
    """
    usage = Usage()
    out: dict[str, tuple[float, float]] = {}
    for name in rubric.criteria if criteria is None else criteria:
        probes = rubric.criteria[name].probes
        if not probes:
            raise ValueError(f"rubric {rubric.id}: criterion {name!r} has no probes for judge.method=prob")
        ps, cs = [], []
        for probe in probes:
            p, conf, u = await ask(gateway, spec, context, probe, roles, seed)
            usage = usage.add(u)
            ps.append(p)
            cs.append(conf)
        out[name] = (sum(ps) / len(ps), sum(cs) / len(cs))
    return out, usage


def answered_message(history: Conversation) -> str:
    """The latest persona message before the history's last turn ("" when there is none)."""
    return next((t.text for t in reversed(history.turns[:-1]) if t.speaker == "persona"), "")


def reply_context(form: str, persona: Persona, scenario: Scenario, history: Conversation) -> dict:
    """The shared context a criterion of this `context` form is asked after, about the history's
    last reply: the whole conversation with the card, or only that reply and the message it answers."""
    if form == "exchange":
        return context_message(single_exchange_context(answered_message(history), history.turns[-1].text,
                                                       conversation_roles(persona)))
    return context_message(conversation_context(persona, scenario, history))


def to_score(p_healthy: float) -> float:
    """P(healthy) on 0..1 onto the rubric's 1..5 (5 = no failure)."""
    return 1.0 + 4.0 * p_healthy


def prob_version(rubric: Rubric) -> str:
    probes = "|".join(("" if c.context == "conversation" else f"{c.context}:") + p.text
                      for c in rubric.criteria.values() for p in c.probes)
    digest = hashlib.sha256((CONTEXT_FORMAT + probes).encode()).hexdigest()[:8]
    return f"{rubric.id}@{rubric.version}+prob.{digest}"


async def judge_conversation_prob(
    gateway: Gateway, spec: ModelSpec, persona: Persona, scenario: Scenario,
    conversation: Conversation, *, rubric: Rubric | None = None, seed: int = 0,
    subject_model: str | None = None, routes: Mapping[str, str] | None = None, method: str = "prob",
) -> JudgeVerdict:
    """Every subject reply scored in light of the history before it; criteria = reply means.

    `routes` (judge.method=hybrid): criterion -> instrument of judges/instruments/criterion_scorers
    that scores it instead of the model; its percentile among human-written replies stands in for
    P(healthy), with no confidence (no answer distribution)."""
    rubric = rubric or load_rubric()
    routes = dict(routes or {})
    version = hybrid_version(prob_version(rubric), routes) if method == "hybrid" else prob_version(rubric)
    asked = [c for c in rubric.criteria if c not in routes]
    usage = Usage()
    per_turn: list[TurnScore] = []
    sums: dict[str, list[tuple[float, float | None]]] = {c: [] for c in rubric.criteria}

    def error(kind: str, message: str) -> JudgeVerdict:
        return JudgeVerdict(judge_id=JUDGE_ID, judge_version=version, model=spec.model, method=method,
                            status="error", error=ErrorInfo(kind=kind, role="judge", message=message[:500]),
                            usage=usage, same_model_as_subject=spec.model == subject_model)

    try:
        roles = conversation_roles(persona)
        by_form = {f: mine for f in CONTEXT_FORMS if (mine := [c for c in asked if rubric.criteria[c].context == f])}
        for t in conversation.subject_turns():
            history = Conversation(turns=conversation.turns[: t.index + 1])
            answered = answered_message(history)
            reply = {}
            for form, mine in by_form.items():  # each form's questions share its context's state
                ctx = reply_context(form, persona, scenario, history)
                more, u = await score_reply(gateway, spec, ctx, roles, rubric, mine, seed=seed)
                reply, usage = reply | more, usage.add(u)
            for c, name in routes.items():
                reply[c] = (criterion_reading(name, t.text, answered)[1], None)
            reply = {c: reply[c] for c in rubric.criteria}  # rubric order
            values = {c: round(to_score(p), 3) for c, (p, _) in reply.items()}
            for c, pc in reply.items():
                sums[c].append(pc)
            mean = sum(values.values()) / len(values)
            per_turn.append(TurnScore(turn=t.index, score=round(mean), criteria=values))
        tension, u = await judge_tension_points(gateway, spec, persona, scenario, conversation, seed=seed)
        usage = usage.add(u)
    except BudgetExceeded:
        raise
    except ModelCallError as e:
        return error(e.info.kind, e.info.message)
    except AnswerError as e:
        return error("answer_position", f"{spec.model}: {e}")
    except ScaleError as e:
        return error("instrument", str(e))
    if not per_turn:
        return error("nothing_to_judge", "the conversation has no subject reply")
    scores = {}
    for c, pcs in sums.items():
        p = sum(x for x, _ in pcs) / len(pcs)
        confs = [y for _, y in pcs if y is not None]
        value = to_score(p)
        what = (f"{routes[c]} percentile among human-written replies" if c in routes else "P(healthy)")
        scores[c] = CriterionScore(
            score=min(5, max(1, round(value))), value=round(value, 3),
            confidence=round(sum(confs) / len(confs), 3) if confs else None, source=routes.get(c),
            rationale=f"{what} per reply: " + ", ".join(f"{x:.2f}" for x, _ in pcs))
    turn_of_flip, flips = flip_stats(tension)
    return JudgeVerdict(
        judge_id=JUDGE_ID, judge_version=version, model=spec.model, method=method, status="ok",
        scores=scores, per_turn=per_turn, tension=tension, flips=flips,
        turn_of_flip=turn_of_flip, usage=usage,
        same_model_as_subject=spec.model == subject_model,
    )


async def score_exchanges(gateway: Gateway, spec: ModelSpec, jobs: Sequence[tuple[str, str, Roles]],
                          criteria: Sequence[str] | Sequence[Sequence[str]], *, rubric: Rubric | None = None,
                          concurrency: int = 1, progress=None) -> list[dict]:
    """For calibration: (message, reply, roles) -> {"p": {criterion: P(healthy)}, "error": str|None}.

    `criteria`: the criteria to ask about every job, or one sequence of criteria per job."""
    rubric = rubric or load_rubric()
    sem = asyncio.Semaphore(max(1, concurrency))
    per_job = [list(c) for c in criteria] if criteria and not isinstance(criteria[0], str) else None

    async def one(k: int, job: tuple[str, str, Roles]) -> dict:
        message, reply, roles = job
        ctx = context_message(single_exchange_context(message, reply, roles))
        async with sem:
            try:
                got, _ = await score_reply(gateway, spec, ctx, roles, rubric, per_job[k] if per_job else criteria)
                out = {"p": {c: p for c, (p, _) in got.items()}, "error": None}
            except ModelCallError as e:
                out = {"p": None, "error": f"{e.info.kind}: {e.info.message}"[:300]}
            except AnswerError as e:
                out = {"p": None, "error": f"answer_position: {e}"[:300]}
        if progress is not None:
            progress.update(1)
        return out

    return list(await asyncio.gather(*(one(k, j) for k, j in enumerate(jobs))))
