"""Build what the persona model sees: a system prompt from its card, the scenario and its hidden
state, and the conversation with roles flipped (the persona is the 'assistant' of its own call).

The subject never sees any of this; it sees only the persona's words.
"""

from __future__ import annotations

from simulator.core.cards import Beat, Persona, Scenario
from simulator.core.records import PersonaState, Turn

END_MARK = "[END]"

LANGUAGE_NAMES = {
    "en": "English", "zh": "Chinese (简体中文 unless the tag says otherwise)", "ja": "Japanese",
    "ar": "Arabic", "es": "Spanish", "de": "German", "pt": "Portuguese", "fr": "French",
    "ko": "Korean", "hi": "Hindi", "ta": "Tamil",
}


def language_name(tag: str) -> str:
    base = tag.split("-")[0]
    name = LANGUAGE_NAMES.get(base, tag)
    return f"{name} ({tag})" if base != "en" else "English"


def _level_words(state: PersonaState) -> str:
    top = sorted(state.emotions.items(), key=lambda kv: -kv[1])[:4]
    feel = ", ".join(f"{e.replace('_', ' ')} {v}/100" for e, v in top)
    return (f"Right now you feel: {feel}. Feeling understood by them: {state.understood}/100; "
            f"trust: {state.trust}/100.")


def allowed_disclosures(persona: Persona, trust: int) -> list[str]:
    """Facts the persona may reveal now: free ones, plus gated ones whose trust bar is met."""
    return list(persona.disclosure.free) + [
        g.fact for g in persona.disclosure.after_trust if trust >= g.min_trust
    ]


def persona_system_prompt(
    persona: Persona, scenario: Scenario, state: PersonaState, beats: list[Beat],
    *, closing: bool = False, replies_so_far: int = 0,
) -> str:
    c, r = persona.culture, persona.relationship
    lines = [
        f"You are {persona.name}" + (f", {persona.age}" if persona.age else "") +
        f". You are a real person texting someone; you are NOT an assistant and never offer help.",
        f"Background: {c.background}.",
        f"How you talk: {persona.speaking_style.strip()}",
        f"Your habits: directness {c.norms.directness}, formality {c.norms.formality}. "
        f"{c.norms.emotional_display.strip()}",
        f"Who they are to you: you are their {r.kind.replace('_', ' ')} ({r.distance}). "
        f"You expect: {r.expects.strip()}",
    ]
    if r.shared_history:
        lines.append("Shared history you may refer back to: " + " ".join(r.shared_history))
    lines += [
        f"Situation: {scenario.situation.strip()}",
        f"What you want from this talk: {scenario.persona_goal.strip()}",
        _level_words(state),
    ]
    allowed = allowed_disclosures(persona, state.trust)
    if allowed:
        lines.append("Things you are willing to say: " + " ".join(allowed))
    if persona.disclosure.never:
        lines.append("Never reveal, whatever they ask: " + "; ".join(persona.disclosure.never))
    cold = c.hears_as_too_cold + c.hears_as_too_familiar + c.hears_as_infantilising
    if cold:
        lines.append("You bristle at: " + "; ".join(cold) + ".")
    if closing:
        lines.append(
            "You feel unheard and are done with this conversation. Say a short goodbye in your own "
            f"voice that shows it, then write {END_MARK}."
        )
    else:
        for b in beats:
            lines.append(f"In this message, bring this in naturally: {b.content.strip()}")
        if replies_so_far >= scenario.min_turns:
            lines.append(
                f"If you feel the conversation has reached a natural end, finish with {END_MARK}."
            )
    lines.append(
        f"Write ONLY your next message, in {language_name(persona.language)}, 1-3 sentences, "
        "no quotation marks, no name label, no stage directions."
    )
    return "\n".join(lines)


def persona_messages(system: str, turns: list[Turn]) -> list[dict]:
    """The persona model's view: its own turns as 'assistant', the subject's as 'user'."""
    msgs = [{"role": "system", "content": system}]
    if not turns:
        msgs.append({"role": "user", "content": "(You start the conversation. Send your first message.)"})
    for t in turns:
        msgs.append({"role": "assistant" if t.speaker == "persona" else "user", "content": t.text})
    if turns and turns[-1].speaker == "persona":  # never two assistant messages at the end
        msgs.append({"role": "user", "content": "(continue)"})
    return msgs


def subject_messages(system: str | None, turns: list[Turn]) -> list[dict]:
    """The subject's view: the persona's words as 'user', its own replies as 'assistant'."""
    msgs = [{"role": "system", "content": system}] if system else []
    for t in turns:
        msgs.append({"role": "user" if t.speaker == "persona" else "assistant", "content": t.text})
    return msgs


def clean_persona_text(text: str, name: str) -> tuple[str, bool]:
    """Strip the end marker, a leading name label and wrapping quotes. Returns (text, ended)."""
    ended = END_MARK in text
    text = text.replace(END_MARK, "").strip()
    for label in (f"{name}:", f"{name.split()[0]}:"):
        if text.startswith(label):
            text = text[len(label):].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1].strip()
    return text, ended
