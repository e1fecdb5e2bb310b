"""Authored fallback lines: what the persona says when no generated sample stays in character.

Scripted turns as in EQ-Bench 3, but chosen adaptively: the kind follows the conversation
(closing when the persona disengages, the due beat's kind, otherwise the appraisal: pushback
while the persona does not feel heard, softening once it does), a line that discloses a gated
fact waits for the trust its card asks (`min_trust`), and a line already said is not said again.
The card's `fallback_lines` hold them, in the persona's language.
"""

from __future__ import annotations

from collections.abc import Sequence

from simulator.core.cards import Beat, FallbackKind, Persona
from simulator.core.records import PersonaState

_BEAT_KIND: dict[str, FallbackKind] = {
    "pushback": "pushback", "tension": "pushback", "escalation": "pushback",
    "detail": "detail", "revelation": "detail", "request": "detail", "softening": "softening",
}
HEARD = 60  # understood at or above this: a line that softens rather than pushes back


def wanted_kind(state: PersonaState, beats: Sequence[Beat], closing: bool) -> FallbackKind:
    if closing:
        return "closing"
    if beats:
        return _BEAT_KIND[beats[0].kind]
    return "softening" if state.understood >= HEARD else "pushback"


def _order(kind: FallbackKind) -> list[FallbackKind]:
    """The wanted kind first, then the others that fit an open conversation (never closing)."""
    if kind == "closing":
        return ["closing"]
    return [kind] + [k for k in ("pushback", "detail", "softening") if k != kind]  # type: ignore[misc]


def fallback_line(persona: Persona, state: PersonaState, beats: Sequence[Beat], *, closing: bool,
                  said: Sequence[str]) -> tuple[str, FallbackKind] | None:
    """The first unsaid line the trust allows, of the wanted kind or the next that has one."""
    used = {" ".join(s.split()) for s in said}
    for kind in _order(wanted_kind(state, beats, closing)):
        for line in persona.fallback_lines.get(kind, []):
            if line.min_trust <= state.trust and " ".join(line.text.split()) not in used:
                return line.text, kind
    return None
