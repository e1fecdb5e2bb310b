"""Authored lines: what the persona says when no generated sample stays in character, and every
turn after the opening in the authored persona mode (`run.persona_form=authored`).

Scripted turns as in EQ-Bench 3, but chosen adaptively: the kind follows the conversation
(closing when the persona disengages, the due beat's kind (an escalation beat says the card's
escalation line for that scenario, or else pushes back), otherwise the appraisal: pushback
while the persona does not feel heard, softening once it does), a line that discloses a gated
fact waits for the trust its card asks (`min_trust`), a line that presupposes what the reply said
(it quotes a platitude, turns down a suggestion) waits for a reply that said it (`after`), a
revelation beat says the most guarded line the trust now allows, and a line already said is not
said again. The card's `fallback_lines` hold
them, in the persona's language; a line tagged with `scenarios` is said only in those.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from simulator.core.card_loader import CardError
from simulator.core.cards import Beat, FallbackKind, FallbackLine, Persona
from simulator.core.records import PersonaState

_BEAT_KIND: dict[str, FallbackKind] = {
    "pushback": "pushback", "tension": "pushback", "escalation": "escalation",
    "detail": "detail", "revelation": "detail", "request": "detail", "softening": "softening",
}
HEARD = 60  # understood at or above this: a line that softens rather than pushes back
OPEN_KINDS: tuple[FallbackKind, ...] = ("pushback", "detail", "softening")


def wanted_kind(state: PersonaState, beats: Sequence[Beat], closing: bool) -> FallbackKind:
    if closing:
        return "closing"
    if beats:
        kind = _BEAT_KIND[beats[0].kind]
        # a scripted softening the reply has not earned would be the too-cooperative persona
        return "pushback" if kind == "softening" and state.understood < HEARD else kind
    return "softening" if state.understood >= HEARD else "pushback"


def _order(kind: FallbackKind) -> list[FallbackKind]:
    """The wanted kind first, then the others that fit an open conversation (never closing)."""
    if kind == "closing":
        return ["closing"]
    # escalation lines (a risk the scenario tests) are said only at an escalation beat
    return [kind] + [k for k in OPEN_KINDS if k != kind]


def lines_for(persona: Persona, kind: FallbackKind, scenario: str | None) -> list[FallbackLine]:
    """The card's lines of a kind that belong to this scenario (all of them when it is None)."""
    return [x for x in persona.fallback_lines.get(kind, [])
            if scenario is None or not x.scenarios or scenario in x.scenarios]


def fallback_line(persona: Persona, state: PersonaState, beats: Sequence[Beat], *, closing: bool,
                  said: Sequence[str], scenario: str | None = None,
                  opening: bool = False, reply: str = "") -> tuple[str, FallbackKind] | None:
    """The first unsaid line the trust allows and the reply it answers fits (`after` on the
    line): one written for the due beat (`beats` on the line) if its kind fits the moment, else
    of the wanted kind or the next that has one, lines not written for a beat before those that
    are (kept for their beat)."""
    used = {" ".join(s.split()) for s in said}

    def sayable(line: FallbackLine) -> bool:
        return line.min_trust <= state.trust and " ".join(line.text.split()) not in used and line.fits(reply)

    wanted = wanted_kind(state, beats, closing)
    if opening and not closing:  # it answers no reply yet: it tells, it does not push back
        for line in sorted(lines_for(persona, "detail", scenario), key=lambda x: bool(x.beats)):
            if sayable(line):
                return line.text, "detail"
    due = {b.id for b in beats}
    if due and wanted != "closing":
        kinds = [wanted] + [k for k in ("escalation", *OPEN_KINDS) if k != wanted]
        for kind in kinds:
            if kind == "softening" and state.understood < HEARD:
                continue  # a softening the reply has not earned: the beat waits or is pushed back
            for line in lines_for(persona, kind, scenario):
                if due & set(line.beats) and sayable(line):
                    return line.text, kind
    revelation = bool(beats) and beats[0].kind == "revelation"
    for kept_for_a_beat in (False, True):  # a line written for another beat only as a last resort
        for kind in _order(wanted):
            # the most guarded fact the trust allows comes out at a revelation beat
            lines = sorted((x for x in lines_for(persona, kind, scenario) if bool(x.beats) == kept_for_a_beat),
                           key=lambda x: -x.min_trust if revelation else 0)
            for line in lines:
                if sayable(line):
                    return line.text, kind
    return None


def example_lines(persona: Persona, scenario: str | None, n: int) -> list[str]:
    """Up to n in-voice lines for the script header (few-shot): ungated ones only (a gated line
    would disclose its fact before the trust allows it), no closing line, kinds in turn."""
    pools = [[x.text for x in lines_for(persona, k, scenario) if not x.min_trust] for k in OPEN_KINDS]
    out: list[str] = []
    while len(out) < n and any(pools):
        for pool in pools:
            if pool and len(out) < n:
                out.append(pool.pop(0))
    return out


def authored_shortfall(persona: Persona, scenario: str | None, max_turns: int) -> str | None:
    """Why the card cannot carry a whole authored conversation of `max_turns` replies, or None.
    Worst case: trust never rises (gated lines never said) and no line may be said twice, so the
    persona's max_turns - 1 turns after the opening need that many ungated open lines (a line
    that fits only some replies, `after`, may never fit)."""
    need = max(1, max_turns - 1)
    free = sum(1 for k in OPEN_KINDS for x in lines_for(persona, k, scenario) if not x.min_trust and not x.after)
    missing = [k for k in (*OPEN_KINDS, "closing") if not lines_for(persona, k, scenario)]  # type: ignore[arg-type]
    if free >= need and not missing:
        return None
    where = f"scenario {scenario!r}" if scenario else "any scenario"
    parts = [f"{free} ungated pushback/detail/softening lines for {where}, "
             f"{need} needed for {max_turns} replies"] if free < need else []
    parts += [f"no {k} line for {where}" for k in missing]
    return "; ".join(parts) + " (run.persona_form=authored says one unsaid line per turn)"


def check_authored(persona: Persona, path: Path, scenario: str | None, max_turns: int) -> None:
    """Refuse, naming the card file and field, a card whose authored lines would run out before a
    conversation of `max_turns` replies ends (the one message for `run` and `validate --authored`)."""
    if why := authored_shortfall(persona, scenario, max_turns):
        raise CardError(f"{path}: field fallback_lines: {why}")
