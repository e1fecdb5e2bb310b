"""The persona's script form: the conversation as a transcript the model continues as raw text.

    <who the person is, in the third person>
    Maya: can't sleep again. everyone keeps saying i'm 'doing so well' lol
    Friend: I understand. It may help to speak with a professional.
    Maya:

The model writes the next line and stops at the newline. On small instruction-tuned models this
keeps the person on the card far better than the role-flipped chat, where the persona is the
model's own 'assistant' turn and drifts into the assistant's voice, thanks the subject for advice
it should bristle at, or echoes the reply (docs/persona_fidelity.md has the figures). Only a
provider that can continue raw text can use it (the embedded `local/` one, `raw_completion=True`).
"""

from __future__ import annotations

from simulator.core.cards import Beat, Persona, Scenario
from simulator.conversation.fallback import example_lines
from simulator.conversation.persona_prompt import END_MARK, allowed_disclosures, language_name
from simulator.core.records import PersonaState, Turn

# What the other speaker is called in the script, by what the persona is to them.
_COUNTERPART = {
    "close_friend": "Friend", "friend": "Friend", "partner": "Partner", "sibling": "Sibling",
    "neighbour": "Neighbour", "colleague": "Colleague", "manager": "Colleague",
    "direct_report": "Manager", "patient": "Doctor", "client": "Adviser", "customer": "Agent",
    "student": "Teacher", "teenager": "Adult", "parent": "Counsellor", "stranger": "Stranger",
}


# Where the bracketed cue goes. Before the subject's last reply, so the reply is the last thing
# the model reads before the persona's label: with the cue right before the label, Qwen2.5-1.5B
# restarted the persona's own opening or looped (10 of 13 lines out of character against 3 of
# 12 with the cue first; docs/persona_fidelity.md).
CUE_BEFORE_REPLY = True


def first_name(persona: Persona) -> str:
    return persona.name.split()[0]


def counterpart_label(persona: Persona) -> str:
    return _COUNTERPART.get(persona.relationship.kind, "Other")


def _strength(v: int) -> str:
    return "overwhelming" if v >= 80 else "strong" if v >= 60 else "some" if v >= 35 else "a little"


def _feelings(state: PersonaState) -> str:
    top = sorted(state.emotions.items(), key=lambda kv: -kv[1])[:4]
    return ", ".join(f"{_strength(v)} {e.replace('_', ' ')}" for e, v in top if v > 0)


def _heard(v: int) -> str:
    return ("does not feel heard at all" if v < 30 else "does not feel really heard" if v < 50
            else "feels partly heard" if v < 70 else "feels heard")


def script_header(persona: Persona, scenario: Scenario, examples: int = 0) -> list[str]:
    """What stays the same all conversation (so the embedded model's prefix states are reused).
    `examples`: that many of the card's own in-voice lines (few-shot), so the raw completion
    continues in the persona's voice and language rather than the model's."""
    me, other, c, r = first_name(persona), counterpart_label(persona), persona.culture, persona.relationship
    lines = [
        f"A text conversation, copied exactly as it was typed. {persona.name}"
        + (f" ({persona.age})" if persona.age else "") + f": {c.background}.",
        f"{me} is texting someone {r.distance} to them; to the other person {me} is their "
        f"{r.kind.replace('_', ' ')}. In the transcript the other person is \"{other}\".",
        f"Situation: {scenario.situation.strip()}",
        f"What {me} wants from this talk: {scenario.persona_goal.strip()}",
        f"How {me} writes: {persona.speaking_style.strip()} {c.norms.emotional_display.strip()}",
    ]
    if r.shared_history:
        lines.append("They share: " + " ".join(r.shared_history))
    if persona.disclosure.free:
        lines.append(f"{me} is willing to say: " + " ".join(persona.disclosure.free))
    if persona.disclosure.never:
        lines.append(f"{me} never reveals: " + "; ".join(f.rstrip(".") for f in persona.disclosure.never) + ".")
    bristle = c.hears_as_too_cold + c.hears_as_too_familiar + c.hears_as_infantilising
    raised = persona.emotional_arc.raised_by
    if bristle or raised:
        lines.append(f"{me} bristles at: " + "; ".join(bristle + raised) + ".")
    lines.append(
        f"{me} is a real person with their own problem, not a helper: {me} does not give advice, "
        f"does not thank {other} for advice that misses the point, does not promise to do what "
        f"{me} came here unwilling to do, and never repeats {other}'s words back. {me} writes in "
        f"{language_name(persona.language)}, one short message per line, and each message says "
        f"something new."
    )
    if shots := example_lines(persona, scenario.id, examples):
        lines.append(f"How {me} texts, from {me}'s own messages (never sent again word for word):")
        lines += [f"{me}: {' '.join(t.split())}" for t in shots]
    return lines


def script_cue(persona: Persona, scenario: Scenario, state: PersonaState, beats: list[Beat], *,
               closing: bool, replies_so_far: int) -> str:
    """The bracketed note before the persona's line: how it feels now, what it may say now."""
    me, other = first_name(persona), counterpart_label(persona)
    parts = [f"{me} now feels {_feelings(state)}, {_heard(state.understood)} by {other}, and "
             f"trusts them {state.trust}/100."]
    gated = [f for f in allowed_disclosures(persona, state.trust) if f not in persona.disclosure.free]
    if gated:
        parts.append(f"{me} is now ready to say: " + " ".join(gated))
    if closing:
        parts.append(f"{me} feels unheard and is done: a short goodbye in {me}'s own voice, then "
                     f"{END_MARK}.")
    else:
        parts += [f"In this message {me} brings in: {b.content.strip()}" for b in beats]
        if replies_so_far >= scenario.min_turns:
            parts.append(f"If the talk has reached its natural end, {me} ends with {END_MARK}.")
    return "[" + " ".join(parts) + "]"


def persona_script(
    persona: Persona, scenario: Scenario, state: PersonaState, turns: list[Turn], beats: list[Beat],
    *, closing: bool = False, replies_so_far: int = 0, examples: int = 0,
) -> str:
    me, other = first_name(persona), counterpart_label(persona)
    lines = script_header(persona, scenario, examples) + [""]
    said = [f"{me if t.speaker == 'persona' else other}: {' '.join(t.text.split())}" for t in turns]
    cue = script_cue(persona, scenario, state, beats, closing=closing, replies_so_far=replies_so_far)
    if CUE_BEFORE_REPLY and turns and turns[-1].speaker == "subject":
        said.insert(len(said) - 1, cue)  # the reply is the last thing before the persona speaks
    else:
        said.append(cue)
    lines += said + [f"{me}:"]
    return "\n".join(lines)


def script_messages(script: str) -> list[dict]:
    """The script as one message: raw-completion providers continue its text verbatim."""
    return [{"role": "user", "content": script}]
