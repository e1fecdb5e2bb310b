"""`empathy-sim validate` on card files in any folder: each is checked as the kind it is."""

import shutil
from pathlib import Path

import pytest

from simulator.cli.subcommands import card_kind, dispatch

ROOT = Path(__file__).resolve().parent.parent


def test_cards_in_a_folder_of_any_name_validate_as_their_own_kind(tmp_path, capsys):
    mine = tmp_path / "my_cards"
    mine.mkdir()
    shutil.copy(ROOT / "personas" / "maya_grieving_daughter.yaml", mine)
    shutil.copy(ROOT / "scenarios" / "grief_missed_last_call.yaml", mine)
    assert card_kind(mine / "maya_grieving_daughter.yaml") == "persona"
    assert card_kind(mine / "grief_missed_last_call.yaml") == "scenario"
    dispatch("validate", [str(p) for p in sorted(mine.glob("*.yaml"))])
    assert capsys.readouterr().out.strip().splitlines()[-1] == "2 valid, 0 invalid"


def test_the_folder_name_decides_where_it_says_the_kind(tmp_path, capsys):
    personas = tmp_path / "personas"
    personas.mkdir()
    shutil.copy(ROOT / "scenarios" / "grief_missed_last_call.yaml", personas)  # a scenario filed as a persona
    with pytest.raises(SystemExit) as e:
        dispatch("validate", [str(personas / "grief_missed_last_call.yaml")])
    assert e.value.code == 2 and "0 valid, 1 invalid" in capsys.readouterr().out
