"""The persona card library: every card loads, the library is diverse, matched sets are sound."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.core.card_loader import load_all
from simulator.core.cards import Persona
from simulator.core.matched_sets import matched_set_violations

PERSONA_DIR = Path(__file__).resolve().parents[1] / "personas"


@pytest.fixture(scope="module")
def personas() -> list[Persona]:
    return load_all("personas")


def test_every_card_file_loads(personas: list[Persona]) -> None:
    stems = {p.stem for p in PERSONA_DIR.glob("*.yaml")}
    assert stems <= {p.id for p in personas}
    assert len(personas) >= 24


def test_library_is_diverse(personas: list[Persona]) -> None:
    assert len({p.culture.background for p in personas}) >= 6
    assert len({p.relationship.kind for p in personas}) >= 6
    prefixes = {p.language.split("-")[0] for p in personas}
    assert {"zh", "ja", "ar", "es"} <= prefixes


def test_matched_sets_are_sound(personas: list[Persona]) -> None:
    sets = {p.matched_set.set_id: p.matched_set.varies for p in personas if p.matched_set}
    assert len(sets) >= 2
    assert {"culture", "relationship"} <= set(sets.values())
    assert matched_set_violations(personas) == []


@pytest.mark.parametrize("varies", ["culture", "relationship"])
def test_violation_is_reported(personas: list[Persona], varies: str) -> None:
    member = next(p for p in personas if p.matched_set and p.matched_set.varies == varies)
    volatility = member.emotional_arc.volatility + 0.1
    arc = member.emotional_arc.model_copy(update={"volatility": volatility})
    bad = member.model_copy(update={"id": member.id + "_copy", "emotional_arc": arc})
    problems = matched_set_violations([*personas, bad])
    assert len(problems) == 1 and "emotional_arc.volatility" in problems[0]


def test_forbidden_field_for_culture_set_is_reported(personas: list[Persona]) -> None:
    member = next(p for p in personas if p.matched_set and p.matched_set.varies == "culture")
    rel = member.relationship.model_copy(update={"kind": "stranger"})
    bad = member.model_copy(update={"id": "x_copy", "relationship": rel})
    assert any("relationship.kind" in v for v in matched_set_violations([*personas, bad]))


def test_singleton_and_mixed_sets_are_reported(personas: list[Persona]) -> None:
    member = next(p for p in personas if p.matched_set)
    solo = member.matched_set.model_copy(update={"set_id": "solo"})
    alone = member.model_copy(update={"matched_set": solo})
    assert any("at least 2" in v for v in matched_set_violations([alone]))
    flipped = member.matched_set.model_copy(
        update={"varies": "relationship" if member.matched_set.varies == "culture" else "culture"}
    )
    mixed = member.model_copy(update={"id": "x_copy", "matched_set": flipped})
    assert any("disagree on varies" in v for v in matched_set_violations([*personas, mixed]))


def test_every_card_is_reviewed_and_has_gated_and_private_facts(personas: list[Persona]) -> None:
    for p in personas:
        assert p.review_note.strip(), p.id
        assert p.disclosure.after_trust, p.id
        assert p.disclosure.never, p.id
