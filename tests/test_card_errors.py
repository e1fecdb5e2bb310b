"""Malformed cards: each gets one line naming the file and the field; YAML never executes."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulator.core.card_loader import MAX_CARD_BYTES, CardError, load_card_file
from simulator.core.cards import Persona, Scenario

ROOT = Path(__file__).resolve().parents[1]
GOOD = yaml.safe_load((ROOT / "personas" / "maya_grieving_daughter.yaml").read_text())


def write(tmp_path: Path, name: str, data) -> Path:
    p = tmp_path / f"{name}.yaml"
    if isinstance(data, (bytes, str)):
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
    else:
        p.write_text(yaml.safe_dump(data, allow_unicode=True))
    return p


def err(path: Path, model=Persona) -> str:
    with pytest.raises(CardError) as e:
        load_card_file(model, path)
    msg = str(e.value)
    assert "\n" not in msg, "errors are one line"
    assert str(path) in msg, "errors name the file"
    return msg


def card(**changes):
    d = {**GOOD, "id": "x_card"}
    d.update(changes)
    return d


def test_wrong_type_names_field(tmp_path):
    d = card()
    d["emotional_arc"] = {**d["emotional_arc"], "starting_trust": "very"}
    assert "emotional_arc.starting_trust" in err(write(tmp_path, "x_card", d))


def test_missing_field_names_field(tmp_path):
    d = card()
    del d["speaking_style"]
    assert "speaking_style" in err(write(tmp_path, "x_card", d))


def test_unknown_key_names_key(tmp_path):
    assert "favourite_colour" in err(write(tmp_path, "x_card", card(favourite_colour="teal")))


def test_unknown_emotion_is_rejected(tmp_path):
    d = card()
    d["emotional_arc"] = {**d["emotional_arc"], "starting_emotions": {"grief": 50, "blorp": 20}}
    msg = err(write(tmp_path, "x_card", d))
    assert "emotional_arc.starting_emotions" in msg and "blorp" in msg


def test_bad_language_tag(tmp_path):
    assert "language" in err(write(tmp_path, "x_card", card(language="english please")))


def test_id_must_match_file_name(tmp_path):
    assert "field id" in err(write(tmp_path, "other_name", card()))


def test_huge_file(tmp_path):
    p = write(tmp_path, "x_card", b"a: " + b"x" * (MAX_CARD_BYTES + 10))
    assert "limited" in err(p)


def test_invalid_utf8(tmp_path):
    assert "UTF-8" in err(write(tmp_path, "x_card", b"id: x_card\nname: \xff\xfe\n"))


def test_alias_bomb_is_refused_before_expansion(tmp_path):
    bomb = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n"
    for i in "bcdefghi":
        prev = chr(ord(i) - 1)
        bomb += f"{i}: &{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    assert "aliases are not allowed" in err(write(tmp_path, "x_card", bomb))


def test_python_tags_never_execute(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"id: !!python/object/apply:os.system ['touch {marker}']\n"
    msg = err(write(tmp_path, "x_card", payload))
    assert "invalid YAML" in msg
    assert not marker.exists()


def test_not_a_mapping(tmp_path):
    assert "mapping" in err(write(tmp_path, "x_card", "- just\n- a list\n"))


def test_scenario_naming_missing_beat(tmp_path):
    d = yaml.safe_load((ROOT / "scenarios" / "grief_missed_last_call.yaml").read_text())
    d["id"] = "x_scn"
    d["expectations"]["tension_points"][0]["beat"] = "no_such_beat"
    msg = err(write(tmp_path, "x_scn", d), Scenario)
    assert "expectations.tension_points.0.beat" in msg and "no_such_beat" in msg


def _cli(*args, env_extra=None):
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "simulator.cli.main", *args], capture_output=True,
                          text=True, timeout=300, env=env)


def test_cli_unknown_persona_one_line():
    r = _cli("persona=nobody_here", "run.progress=false")
    assert r.returncode == 2
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "unknown persona id 'nobody_here'" in lines[0]


def test_cli_malformed_card_one_line(tmp_path):
    d = card(id="broken_one")
    d["relationship"] = {**d["relationship"], "kind": "pen_pal"}
    write(tmp_path, "broken_one", d)
    r = _cli("persona=broken_one", env_extra={"EMPATHY_SIM_PERSONAS_PATH": str(tmp_path)})
    assert r.returncode == 2
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "broken_one.yaml" in lines[0] and "relationship.kind" in lines[0]


def test_cli_remote_model_without_key_one_line():
    r = _cli("models.subject.model=openai/gpt-4o-mini", "scenario=grief_missed_last_call", env_extra={"OPENAI_API_KEY": ""})
    assert r.returncode == 2
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "models.subject" in lines[0] and "OPENAI_API_KEY" in lines[0]


def test_cli_unknown_override_key_one_line():
    r = _cli("nonsense_key=3")
    assert r.returncode == 2
    assert "unknown config key 'nonsense_key'" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_cli_bad_override_value_one_line():
    r = _cli("max_turns=banana")
    assert r.returncode == 2
    assert "max_turns" in r.stderr and len(r.stderr.strip().splitlines()) == 1
