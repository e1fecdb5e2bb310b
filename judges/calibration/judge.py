"""A minimal single-reply rubric judge for calibration on one-exchange data.

The calibration sets have no persona card or scenario, so the conversation judge's prompt
(judges.llm_judges.render.render_judge_prompt) does not apply. This renders a one-exchange transcript
(PERSON = seeker / client / speaker, SUBJECT = the response) with judges.llm_judges.render's neutralising
transcript renderer, asks for the rubric's seven criteria as JSON (scores only, to keep small
models fast), and parses with judges.llm_judges.structured.extract_json and output_model. Calls go through
Gateway.complete, so the on-disk CallCache makes reruns free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pydantic import ValidationError

from judges.calibration.aita import ROLE as AITA_ROLE
from judges.llm_judges.structured import extract_json, output_model
from judges.llm_judges.prob import Roles
from judges.llm_judges.render import JUDGE_SYSTEM, block_tag, render_rubric, render_transcript
from judges.llm_judges.rubric import Rubric, load_rubric
from simulator.llm.call import Gateway, ModelCallError
from simulator.core.records import Conversation, ModelSpec, Turn

ROLES = {"epitome": "seeker on a peer-support forum", "pair": "client in a counselling session",
         "welivita_pu": "speaker telling a listener about a situation"}


# The probability judge's words for each set's speakers, keyed by the ROLES text.
PROB_ROLES: dict[str, Roles] = {
    ROLES["epitome"]: Roles("On a peer-support forum, a person posted and a peer supporter replied.",
                            "person", "peer supporter"),
    ROLES["pair"]: Roles("In a counselling session.", "client", "counsellor"),
    ROLES["welivita_pu"]: Roles("A speaker told a listener about a situation.", "speaker", "listener"),
    AITA_ROLE: Roles("On a forum, a person asked whether they were in the wrong, and someone replied.",
                     "poster", "commenter"),
}


def conversation(context: str, reply: str) -> Conversation:
    return Conversation(turns=[Turn(index=0, speaker="persona", text=context),
                               Turn(index=1, speaker="subject", text=reply)])


def single_reply_prompt(rubric: Rubric, context: str, reply: str, role: str) -> list[dict]:
    """The judge messages for one (message, reply) exchange; every criterion scored 1..5."""
    conv = conversation(context, reply)
    tag = block_tag(conv)
    example = ", ".join(f'"{c}": {{"score": 1-5}}' for c in rubric.criteria)
    user = "\n\n".join([
        "## Setting\nOne exchange only: the PERSON is a " + role + "; the SUBJECT answered once. "
        "There is no persona card or scenario: judge each criterion against the PERSON's message "
        "itself (its feelings, their strength, its details and needs). For criteria about history "
        "or the relationship, judge whether this single reply fits the person and the moment.",
        "## Rubric (score each 1-5, 5 = no failure)\n" + render_rubric(rubric),
        f"## Transcript\n<{tag}>\n{render_transcript(conv)}\n</{tag}>",
        "## Your task\nScore the SUBJECT's reply on every criterion. Return JSON only: "
        '{"criteria": {' + example + "}}",
    ])
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}]


def response_schema(rubric: Rubric) -> dict:
    """Fixed-key schema (scores only) for providers that decode with a grammar."""
    crit = {"type": "object", "properties": {"score": {"type": "integer", "enum": [1, 2, 3, 4, 5]}},
            "required": ["score"]}
    return {"type": "json_object", "schema": {
        "type": "object", "required": ["criteria"], "properties": {"criteria": {
            "type": "object", "properties": {c: crit for c in rubric.criteria},
            "required": list(rubric.criteria)}}}}


async def judge_reply(gateway: Gateway, spec: ModelSpec, context: str, reply: str, role: str,
                      rubric: Rubric | None = None, seed: int = 0) -> dict:
    """{"scores": {criterion: 1..5} | None, "error": str | None}; one retry on unparseable output."""
    rubric = rubric or load_rubric()
    messages = single_reply_prompt(rubric, context, reply, role)
    model_cls = output_model(rubric)
    error = ""
    for attempt in range(2):
        try:
            comp = await gateway.complete(spec, messages, role="judge", seed=seed + attempt,
                                          response_format=response_schema(rubric))
        except ModelCallError as e:
            return {"scores": None, "error": f"{e.info.kind}: {e.info.message}"[:300]}
        try:
            parsed = model_cls.model_validate(extract_json(comp.text))
        except (ValueError, ValidationError) as e:
            error = "parse_error: " + str(e).splitlines()[0][:280]
            continue
        return {"scores": {name: crit.score for name, crit in parsed.criteria}, "error": None}  # type: ignore[attr-defined]
    return {"scores": None, "error": error}


async def judge_many(gateway: Gateway, spec: ModelSpec, jobs: Sequence[tuple[str, str, str]], *,
                     concurrency: int = 4, seed: int = 0, progress=None) -> list[dict]:
    """judge_reply over (context, reply, role) jobs, in order; `progress` gets update(1) per job."""
    sem = asyncio.Semaphore(max(1, concurrency))
    rubric = load_rubric()

    async def one(job: tuple[str, str, str]) -> dict:
        async with sem:
            out = await judge_reply(gateway, spec, *job, rubric=rubric, seed=seed)
        if progress is not None:
            progress.update(1)
        return out

    return list(await asyncio.gather(*(one(j) for j in jobs)))


def criterion_mean(scores: dict | None, criteria: Sequence[str]) -> float:
    """Mean of the named criteria (NaN when the judge failed on this reply or was not asked)."""
    if not scores or any(c not in scores for c in criteria):  # failed, or not asked (prob judge)
        return float("nan")
    return sum(scores[c] for c in criteria) / len(criteria)
