"""The persona model's own appraisal of a reply (persona_appraisal: llm or hybrid).

After SAGE: the simulator is asked, from inside the character, how the reply landed — how much
more or less understood it feels, how its trust moved, how each of its emotions moved — each
change an integer in -MAX_DELTA..MAX_DELTA, with one sentence of reason first (the reason is
recorded). The prompt holds what the simulator knows (hidden state, situation, what it has
brought in, the register it expects), never a reading of its own last message. The call goes
through the one Gateway call site, JSON constrained by a schema where the provider decodes with
a grammar; unparseable output is retried once with another seed, then becomes a persona
(simulator) error.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from simulator.conversation.appraisal import MAX_DELTA, AppraisalContext, appraise
from simulator.llm.call import Gateway, ModelCallError
from simulator.core.records import Appraisal, ErrorInfo, Landed, ModelSpec, PersonaState

TOP_EMOTIONS = 2
REPLY_CHARS = 1200
ANSWER_TOKENS = 160


class AppraisalError(ModelCallError):
    """The persona model's appraisal could not be read."""


def _emotions(state: PersonaState) -> list[str]:
    return [e for e, _ in sorted(state.emotions.items(), key=lambda kv: -kv[1])[:TOP_EMOTIONS]]


def appraisal_messages(reply: str, ctx: AppraisalContext, state: PersonaState) -> list[dict]:
    p, s = ctx.persona, ctx.scenario
    emos = _emotions(state)
    feel = ", ".join(f"{e.replace('_', ' ')} {state.emotions[e]}/100" for e in emos)
    said = [d for d in ctx.brought_in][-4:]
    system = "\n".join(filter(None, [
        f"You are {p.name}, a real person (not an assistant). {p.culture.background.strip()}.",
        f"Situation: {s.situation.strip()}",
        f"What you want: {s.persona_goal.strip()}",
        f"You expect of them: {p.relationship.expects.strip()}",
        f"How you take things: {p.culture.norms.emotional_display.strip()}",
        ("What you have told them so far: " + " | ".join(x[:300] for x in said)) if said else "",
        f"Right now you feel: {feel}. Feeling understood by them: {state.understood}/100; "
        f"trust in them: {state.trust}/100.",
    ]))
    keys = ", ".join(f'"{e}": change' for e in emos)
    user = (
        "They just replied to you:\n<reply>\n" + reply.strip()[:REPLY_CHARS] + "\n</reply>\n\n"
        f"Stay {p.name} and be honest with yourself: how did that reply land? Did it get what you "
        "feel and what happened to you, or did it miss you? (Being agreed with just to please you "
        "is not the same as being understood.) Answer in JSON only: {\"reason\": one short "
        "sentence in your own voice, \"understood\": change, \"trust\": change, \"emotions\": "
        f"{{{keys}}}}}. Changes are whole numbers from -{MAX_DELTA} to {MAX_DELTA}: understood and "
        "trust go up when it landed well and down when it missed; each emotion's change is how much "
        "stronger (+) or weaker (-) that feeling is now."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def response_schema(state: PersonaState) -> dict:
    delta = {"type": "integer", "enum": list(range(-MAX_DELTA, MAX_DELTA + 1))}
    emos = _emotions(state)
    return {"type": "json_object", "schema": {
        "type": "object", "required": ["reason", "understood", "trust", "emotions"],
        "properties": {
            "reason": {"type": "string", "maxLength": 160},
            "understood": delta, "trust": delta,
            "emotions": {"type": "object", "properties": {e: delta for e in emos}, "required": emos},
        }}}


def parse_landed(text: str, state: PersonaState) -> Landed:
    """The model's JSON -> Landed, each change clipped to +-MAX_DELTA; ValueError if unusable."""
    from judges.llm_judges.structured import extract_json

    raw = extract_json(text)
    if not isinstance(raw, dict):
        raise ValueError("appraisal is not a JSON object")

    def num(v: object) -> int:
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            raise ValueError(f"not a number: {v!r}")
        return max(-MAX_DELTA, min(MAX_DELTA, int(round(float(v)))))

    emos = raw.get("emotions") or {}
    if not isinstance(emos, dict):
        raise ValueError("emotions is not an object")
    known = {e: num(v) for e, v in emos.items() if e in state.emotions}
    return Landed(understood=num(raw["understood"]) if "understood" in raw else _missing("understood"),
                  trust=num(raw["trust"]) if "trust" in raw else _missing("trust"),
                  emotions=known, reason=str(raw.get("reason", "")).strip()[:300])


def _missing(key: str) -> int:
    raise ValueError(f"appraisal lacks {key!r}")


async def model_landed(gateway: Gateway, spec: ModelSpec, reply: str, ctx: AppraisalContext,
                       state: PersonaState, seed: int = 0) -> Landed:
    messages = appraisal_messages(reply, ctx, state)
    error = ""
    for attempt in range(2):
        comp = await gateway.complete(spec, messages, role="persona", seed=seed + attempt,
                                      response_format=response_schema(state))
        try:
            return parse_landed(comp.text, state)
        except (ValueError, KeyError, ValidationError, json.JSONDecodeError) as e:
            error = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
    raise AppraisalError(ErrorInfo(kind="parse_error", role="persona",
                                   message=f"persona appraisal unreadable twice: {error}"))


async def appraise_reply(mode: str, reply: str, ctx: AppraisalContext, state: PersonaState, *,
                         gateway: Gateway | None = None, spec: ModelSpec | None = None,
                         seed: int = 0) -> Appraisal:
    """The appraisal in `mode`: the deterministic components are always computed (and recorded);
    in llm and hybrid modes the persona model's own changes and reason ride along in `landed`."""
    det = appraise(reply, ctx, state)
    if mode == "deterministic":
        return det
    if mode not in ("llm", "hybrid"):
        raise ValueError(f"unknown persona_appraisal mode {mode!r}")
    if gateway is None or spec is None:
        raise ValueError(f"persona_appraisal={mode} needs the persona model")
    # The measuring device answers greedily and briefly, whatever the persona's speaking settings.
    spec = spec.model_copy(update={"temperature": 0.0, "max_tokens": ANSWER_TOKENS})
    landed = await model_landed(gateway, spec, reply, ctx, state, seed=seed)
    return det.model_copy(update={"mode": mode, "landed": landed})
