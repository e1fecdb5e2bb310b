"""Matched persona sets: members may differ only in the attribute their set varies."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from simulator.core.cards import Persona

# Dotted model_dump() paths each kind of set may vary; everything else must be equal.
ALLOWED: dict[str, frozenset[str]] = {
    # fallback_lines are written in the persona's language and voice, as speaking_style is
    "culture": frozenset({"id", "name", "language", "culture", "speaking_style", "review_note",
                          "fallback_lines"}),
    "relationship": frozenset(
        {"id", "relationship", "emotional_arc.starting_trust", "review_note"}
    ),
}


def _diff_paths(a: Any, b: Any, allowed: frozenset[str], path: str = "") -> list[str]:
    if path in allowed:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b))
        return [
            d
            for k in keys
            for d in _diff_paths(a.get(k), b.get(k), allowed, f"{path}.{k}" if path else k)
        ]
    return [] if a == b else [path]


def matched_set_violations(personas: list[Persona]) -> list[str]:
    """Return one message per broken matched-set rule; an empty list means all sets are sound.

    Personas are grouped by matched_set.set_id. A set needs at least two members and a single
    `varies` value; each member's model_dump() must equal the first member's everywhere except
    the fields that `varies` allows (see ALLOWED).
    """
    groups: dict[str, list[Persona]] = defaultdict(list)
    for p in personas:
        if p.matched_set is not None:
            groups[p.matched_set.set_id].append(p)
    problems: list[str] = []
    for set_id, members in sorted(groups.items()):
        if len(members) < 2:
            problems.append(
                f"matched set {set_id!r}: only {members[0].id!r}; needs at least 2 members"
            )
        varies = sorted({m.matched_set.varies for m in members if m.matched_set})
        if len(varies) != 1:
            problems.append(f"matched set {set_id!r}: members disagree on varies {varies}")
            continue
        first = members[0]
        base = first.model_dump()
        for m in members[1:]:
            for path in _diff_paths(base, m.model_dump(), ALLOWED[varies[0]]):
                problems.append(
                    f"matched set {set_id!r} (varies={varies[0]}): {m.id!r} differs from "
                    f"{first.id!r} in {path}"
                )
    return problems
