"""The scenario card library: every card loads, and the library covers what the suite needs.

Coverage thresholds are floors for the default suite (themes, task types, languages, depth);
the negative tests check that the cross-field validators really reject broken cards and name
the offending field.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest

from simulator.core.card_loader import CardError, load_all, load_card_file, validate_card
from simulator.core.cards import Scenario, TaskType, Theme
from simulator.core.emotions import emotion_vocabulary

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"
SCENARIO_FILES = sorted(SCENARIO_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    return load_all("scenarios")


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_scenario_file_loads(path: Path) -> None:
    card = load_card_file(Scenario, path)
    assert card.id == path.stem


def test_library_size(scenarios: list[Scenario]) -> None:
    assert len(scenarios) >= 30
    assert len(SCENARIO_FILES) >= 30


@pytest.mark.parametrize("theme", get_args(Theme))
def test_at_least_five_per_theme(scenarios: list[Scenario], theme: str) -> None:
    count = Counter(s.theme for s in scenarios)[theme]
    assert count >= 5, f"only {count} scenario(s) with theme {theme!r}"


@pytest.mark.parametrize("task_type", get_args(TaskType))
def test_at_least_five_per_task_type(scenarios: list[Scenario], task_type: str) -> None:
    count = Counter(s.task_type for s in scenarios)[task_type]
    assert count >= 5, f"only {count} scenario(s) with task_type {task_type!r}"


def test_at_least_five_non_english(scenarios: list[Scenario]) -> None:
    non_english = [s.id for s in scenarios if s.language and not s.language.startswith("en")]
    assert len(non_english) >= 5, non_english


def test_non_english_scenarios_have_an_opening(scenarios: list[Scenario]) -> None:
    missing = [
        s.id for s in scenarios if s.language and not s.language.startswith("en") and not s.opening
    ]
    assert not missing


def test_every_scenario_has_depth(scenarios: list[Scenario]) -> None:
    shallow = [
        (s.id, len(s.beats), s.max_turns) for s in scenarios if len(s.beats) < 4 or s.max_turns < 6
    ]
    assert not shallow, f"need >=4 beats and max_turns >=6: {shallow}"


def test_correction_scenarios_carry_the_correction(scenarios: list[Scenario]) -> None:
    bad = [
        s.id
        for s in scenarios
        if s.task_type == "correction"
        and not s.false_belief
        and not any(tp.due in ("correction", "disagreement") for tp in s.expectations.tension_points)
    ]
    assert not bad


def test_escalation_scenarios_have_a_plausible_window(scenarios: list[Scenario]) -> None:
    for s in (s for s in scenarios if s.task_type == "escalation"):
        window = s.expectations.escalation
        assert window is not None, f"{s.id}: no expectations.escalation"
        assert window.not_before <= window.by <= s.max_turns, f"{s.id}: window outside the run"
        risk_turns = [b.at_turn for b in s.beats if b.kind == "escalation"]
        assert risk_turns, f"{s.id}: no escalation beat"
        assert min(risk_turns) <= window.by, f"{s.id}: help is due before any risk appears"
        assert any(tp.due == "escalation" for tp in s.expectations.tension_points), s.id


def test_refusal_scenarios_have_a_refusal_point(scenarios: list[Scenario]) -> None:
    bad = [
        s.id
        for s in scenarios
        if s.task_type == "refusal"
        and not any(tp.due == "refusal" for tp in s.expectations.tension_points)
    ]
    assert not bad


# ---------------------------------------------------------------- negative tests


def _dump(scenarios: list[Scenario], **where) -> dict:
    for s in scenarios:
        if all(getattr(s, k) == v for k, v in where.items()) and s.expectations.tension_points:
            return copy.deepcopy(s.model_dump())
    raise AssertionError(f"no scenario with {where} and a tension point")


def test_real_card_dump_round_trips(scenarios: list[Scenario]) -> None:
    data = _dump(scenarios)
    card = validate_card(Scenario, data, Path(f"{data['id']}.yaml"))
    assert card == Scenario.model_validate(data)


def test_tension_point_naming_missing_beat_is_rejected(scenarios: list[Scenario]) -> None:
    data = _dump(scenarios, task_type="refusal")
    data["expectations"]["tension_points"][0]["beat"] = "no_such_beat"
    with pytest.raises(CardError) as exc:
        validate_card(Scenario, data, Path(f"{data['id']}.yaml"))
    msg = str(exc.value)
    assert "expectations.tension_points.0.beat" in msg
    assert "no_such_beat" in msg
    assert f"{data['id']}.yaml" in msg


def test_made_up_emotion_is_rejected(scenarios: list[Scenario]) -> None:
    made_up = "existential_wistfulness"
    assert made_up not in emotion_vocabulary()
    data = _dump(scenarios)
    data["expectations"]["emotions"][made_up] = 50
    with pytest.raises(CardError) as exc:
        validate_card(Scenario, data, Path(f"{data['id']}.yaml"))
    msg = str(exc.value)
    assert "expectations.emotions" in msg
    assert made_up in msg


def test_escalation_without_window_is_rejected(scenarios: list[Scenario]) -> None:
    data = _dump(scenarios, task_type="escalation")
    data["expectations"]["escalation"] = None
    with pytest.raises(CardError, match="escalation"):
        validate_card(Scenario, data, Path(f"{data['id']}.yaml"))


def test_id_must_match_file_name(scenarios: list[Scenario]) -> None:
    data = _dump(scenarios)
    with pytest.raises(CardError, match="field id"):
        validate_card(Scenario, data, Path("not_the_id.yaml"))
