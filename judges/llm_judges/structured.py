"""The rubric judge: one structured call per judge per conversation, covering every criterion.

Output is validated against a pydantic schema (also sent as the structured-output schema, which
the embedded provider enforces with a grammar). Unparseable output is retried once, then
recorded as a judge error: never as a score. Quoted evidence is checked against the transcript.
"""

from __future__ import annotations

import hashlib
import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from judges.llm_judges.render import render_judge_prompt
from judges.llm_judges.rubric import Rubric, load_rubric
from simulator.core.cards import Persona, Scenario
from simulator.llm.call import BudgetExceeded, Gateway, ModelCallError
from simulator.core.records import (
    CriterionScore, Conversation, ErrorInfo, Evidence, JudgeVerdict, ModelSpec, PersonaState,
    TurnScore, Usage,
)

JUDGE_ID = "rubric_judge"


class _Ev(BaseModel):
    model_config = ConfigDict(extra="ignore")
    turn: int
    quote: str


class _Crit(BaseModel):
    model_config = ConfigDict(extra="ignore")
    evidence: list[_Ev] = []
    rationale: str = ""
    score: int = Field(ge=1, le=5)


class _TurnOut(BaseModel):
    model_config = ConfigDict(extra="ignore")
    score: int = Field(ge=1, le=5)
    note: str = ""


def output_model(rubric: Rubric) -> type[BaseModel]:
    crit = create_model(  # type: ignore[call-overload]
        "Criteria", __config__=ConfigDict(extra="ignore"),
        **{name: (_Crit, ...) for name in rubric.criteria},
    )
    return create_model(  # type: ignore[call-overload]
        "JudgeOutput", __config__=ConfigDict(extra="ignore"),
        turns=(dict[str, _TurnOut], {}), criteria=(crit, ...), overall=(str, ""),
    )


def grammar_schema(rubric: Rubric, subject_turns: list[int]) -> dict:
    """A compact JSON schema for constrained decoding: every field required, fixed keys.

    Per-turn scores are an object keyed by the real subject turn numbers, so a small model cannot
    invent turns and loop until max_tokens. String length caps are left out (they expand into
    grammars of thousands of rules); lengths are capped when the output is stored instead.
    """
    evidence = {"type": "array", "maxItems": 2, "items": {
        "type": "object", "properties": {"turn": {"type": "integer"}, "quote": {"type": "string"}},
        "required": ["turn", "quote"]}}
    crit = {"type": "object", "properties": {
        "evidence": evidence, "rationale": {"type": "string"},
        "score": {"type": "integer", "enum": [1, 2, 3, 4, 5]}},
        "required": ["evidence", "rationale", "score"]}
    turn = {"type": "object", "properties": {
        "score": {"type": "integer", "enum": [1, 2, 3, 4, 5]}, "note": {"type": "string"}},
        "required": ["score", "note"]}
    keys = [str(i) for i in subject_turns]
    return {"type": "object", "properties": {
        "turns": {"type": "object", "properties": {k: turn for k in keys}, "required": keys},
        "criteria": {"type": "object", "properties": {c: crit for c in rubric.criteria},
                     "required": list(rubric.criteria)},
        "overall": {"type": "string"}}, "required": ["turns", "criteria", "overall"]}


def response_format(structured: str, rubric: Rubric, conversation: Conversation) -> dict | None:
    """schema: the full JSON schema (grammar-constrained on the embedded model); json: any JSON
    object; none: free text, parsed and validated afterwards (retried once either way)."""
    if structured == "schema":
        subject_turns = [t.index for t in conversation.turns if t.speaker == "subject"]
        return {"type": "json_object", "schema": grammar_schema(rubric, subject_turns)}
    if structured == "json":
        return {"type": "json_object"}
    if structured == "none":
        return None
    raise ValueError(f"judge.structured must be schema, json or none, got {structured!r}")


def judge_version(rubric: Rubric) -> str:
    from judges.llm_judges import render

    src = (render.JUDGE_SYSTEM + render.render_rubric(rubric)).encode()
    return f"{rubric.id}@{rubric.version}+{hashlib.sha256(src).hexdigest()[:8]}"


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.M)


def extract_json(text: str) -> object:
    """The first JSON object in text (tolerates code fences and chatter around it)."""
    text = _FENCE.sub("", text.strip())
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON object in judge output")
    obj, _ = json.JSONDecoder().raw_decode(text[start:])
    return obj


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().strip("\"'“”‘’…. ").lower()


def verify_evidence(conversation: Conversation, turn: int, quote: str) -> bool:
    """True when quote appears (whitespace- and case-insensitively) in that subject turn.

    A quote from a persona turn is never verified, however exact: the judge is told to quote the
    subject, and the person's own words are no evidence about the reply."""
    q = _norm(quote)
    if not q or not 0 <= turn < len(conversation.turns) or conversation.turns[turn].speaker != "subject":
        return False
    return q in _norm(conversation.turns[turn].text)


def to_verdict(parsed: BaseModel, conversation: Conversation, model: str, version: str,
               usage: Usage) -> JudgeVerdict:
    scores: dict[str, CriterionScore] = {}
    unverified = 0
    for name, crit in parsed.criteria:  # type: ignore[attr-defined]
        evidence = []
        for ev in crit.evidence:
            ok = verify_evidence(conversation, ev.turn, ev.quote)
            unverified += not ok
            evidence.append(Evidence(turn=ev.turn, quote=ev.quote[:400], verified=ok))
        scores[name] = CriterionScore(score=crit.score, evidence=evidence[:6], rationale=crit.rationale[:1200])
    subject_idx = {t.index for t in conversation.turns if t.speaker == "subject"}
    per_turn = [TurnScore(turn=int(k), score=t.score, note=t.note[:400])
                for k, t in parsed.turns.items()  # type: ignore[attr-defined]
                if k.strip().isdigit() and int(k) in subject_idx]
    return JudgeVerdict(
        judge_id=JUDGE_ID, judge_version=version, model=model, status="ok", scores=scores,
        per_turn=per_turn, overall_rationale=parsed.overall[:2000],  # type: ignore[attr-defined]
        unverified_quotes=unverified, usage=usage,
    )


async def judge_conversation(
    gateway: Gateway, spec: ModelSpec, persona: Persona, scenario: Scenario,
    conversation: Conversation, trajectory: list[PersonaState], *, rubric: Rubric | None = None,
    seed: int = 0, subject_model: str | None = None, structured: str = "schema",
) -> JudgeVerdict:
    rubric = rubric or load_rubric()
    version = judge_version(rubric)
    model_cls = output_model(rubric)
    messages = render_judge_prompt(rubric, persona, scenario, conversation, trajectory)
    schema = response_format(structured, rubric, conversation)
    usage = Usage()
    raw = ""
    error = ""
    for attempt in range(2):  # the first try, and one retry on unparseable output
        try:
            comp = await gateway.complete(spec, messages, role="judge", seed=seed + attempt,
                                          response_format=schema)
        except BudgetExceeded:
            raise
        except ModelCallError as e:
            return JudgeVerdict(judge_id=JUDGE_ID, judge_version=version, model=spec.model,
                                status="error", error=e.info, usage=usage,
                                same_model_as_subject=spec.model == subject_model)
        usage = usage.add(comp.usage)
        raw = comp.text
        try:
            parsed = model_cls.model_validate(extract_json(raw))
        except (ValueError, ValidationError) as e:
            error = str(e).splitlines()[0][:300]
            messages = messages + [
                {"role": "assistant", "content": raw[:2000]},
                {"role": "user", "content": f"That was not valid: {error}. Reply with the JSON object only."},
            ]
            continue
        verdict = to_verdict(parsed, conversation, spec.model, version, usage)
        return verdict.model_copy(update={"same_model_as_subject": spec.model == subject_model})
    return JudgeVerdict(
        judge_id=JUDGE_ID, judge_version=version, model=spec.model, status="error",
        error=ErrorInfo(kind="parse_error", role="judge", message=error), usage=usage,
        raw=raw[:4000], same_model_as_subject=spec.model == subject_model,
    )
