"""`empathy-sim export`: each format round-trips and the filters cut rows as they should."""

import orjson
import pytest

import report_records as rr
from simulator.core.records import CRITERIA
from simulator.cli.subcommands import build_parser


@pytest.fixture
def run_dir(tmp_path):
    return rr.write_run(tmp_path / "run", rr.suite())


def export(run_dir, tmp_path, *argv):
    out = tmp_path / "out.jsonl"
    args = build_parser().parse_args(["export", str(run_dir), "--out", str(out), *argv])
    args.fn(args)
    return [orjson.loads(line) for line in out.read_bytes().splitlines()]


def test_openai_rows_alternate_and_end_with_assistant(run_dir, tmp_path):
    rows = export(run_dir, tmp_path, "--format", "openai")
    assert len(rows) == 8  # every ok record; the error record is never exported
    for row in rows:
        assert set(row) == {"messages"}
        roles = [m["role"] for m in row["messages"]]
        assert roles[0] == "user" and roles[-1] == "assistant"
        assert all(a != b for a, b in zip(roles, roles[1:]))
        assert all(isinstance(m["content"], str) and m["content"] for m in row["messages"])


def test_openai_system_message_goes_first(run_dir, tmp_path):
    rows = export(run_dir, tmp_path, "--format", "openai", "--system", "Be a good friend.")
    assert all(r["messages"][0] == {"role": "system", "content": "Be a good friend."} for r in rows)
    assert all(r["messages"][1]["role"] == "user" for r in rows)


def test_hf_rows_share_one_schema(run_dir, tmp_path):
    rows = export(run_dir, tmp_path, "--format", "hf")
    assert len(rows) == 8
    keys = {tuple(sorted(r)) for r in rows}
    assert len(keys) == 1
    expected = {"record_id", "persona", "scenario", "theme", "task_type", "language", "subject_model",
                "stop_reason", "messages", "score_mean"} | {f"score_{c}" for c in CRITERIA}
    assert expected <= set(rows[0])
    # One JSON type per column (null allowed), so datasets/pyarrow infer a single schema.
    for k in rows[0]:
        types = {type(r[k]).__name__ for r in rows if r[k] is not None}
        assert len(types) <= 1, (k, types)
    maya_warm = next(r for r in rows if r["subject_model"] == "fake/warm" and r["persona"] == rr.MAYA
                     and r["score_cognitive"] == 5)
    assert maya_warm["language"] == "en" and maya_warm["theme"] == "grief" and maya_warm["score_mean"] == 5.0


def test_hf_rows_load_with_pyarrow_when_available(run_dir, tmp_path):
    pa_json = pytest.importorskip("pyarrow.json")
    export(run_dir, tmp_path, "--format", "hf")
    table = pa_json.read_json(str(tmp_path / "out.jsonl"))
    assert table.num_rows == 8


def test_dpo_pairs_prefer_the_higher_score(run_dir, tmp_path):
    rows = export(run_dir, tmp_path, "--format", "dpo")
    # Maya × grief: warm (5, 4) vs cold (mean 2.29, 1) share the opening -> 4 pairs; warm replies are
    # identical across seeds and so are cold ones, so same-model pairs are skipped.
    assert len(rows) == 4
    for row in rows:
        assert row["chosen"] != row["rejected"]
        assert row["chosen_score"] > row["rejected_score"]
        assert row["prompt"] == [{"role": "user", "content": rr.MAYA_LINES[0]}]
        assert row["chosen"][0]["role"] == row["rejected"][0]["role"] == "assistant"
        assert row["chosen_model"] == "fake/warm" and row["rejected_model"] == "fake/cold"
        assert row["persona"] == rr.MAYA and row["scenario"] == rr.GRIEF


def test_dpo_criterion_and_ties(run_dir, tmp_path):
    # On linguistic_distancing cold seed 0 scores 4: it ties warm seed 1 (skipped) and loses to warm seed 0.
    rows = export(run_dir, tmp_path, "--format", "dpo", "--criterion", "linguistic_distancing")
    assert all(r["criterion"] == "linguistic_distancing" for r in rows)
    assert sorted((r["chosen_score"], r["rejected_score"]) for r in rows) == [(4.0, 1.0), (5.0, 1.0), (5.0, 4.0)]


def test_min_score_filter(run_dir, tmp_path):
    rows = export(run_dir, tmp_path, "--format", "hf", "--min-score", "4.5")
    assert [r["score_mean"] for r in rows] == [5.0]
    rows = export(run_dir, tmp_path, "--format", "openai", "--min-score", "4", "--criterion", "cognitive")
    assert len(rows) == 6  # the warm model's six ok records; cold scores 2 and 1
    rows = export(run_dir, tmp_path, "--format", "dpo", "--min-score", "5")
    assert rows and all(r["chosen_score"] >= 5 for r in rows) and len(rows) == 2


def test_persona_and_scenario_filters(run_dir, tmp_path):
    rows = export(run_dir, tmp_path, "--format", "hf", "--persona", "ren_exam_jp", "ren_exam_us")
    assert sorted(r["persona"] for r in rows) == ["ren_exam_jp", "ren_exam_us"]
    rows = export(run_dir, tmp_path, "--format", "hf", "--persona", "ren_exam_jp", "--persona", "ren_exam_mx")
    assert sorted(r["persona"] for r in rows) == ["ren_exam_jp", "ren_exam_mx"]
    rows = export(run_dir, tmp_path, "--format", "openai", "--scenario", rr.GRIEF)
    assert len(rows) == 4
    assert export(run_dir, tmp_path, "--format", "dpo", "--persona", "ren_exam_jp") == []


def test_missing_run_dir_fails_with_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        export(tmp_path / "nowhere", tmp_path, "--format", "openai")
    assert e.value.code == 2
    assert "no records.jsonl" in capsys.readouterr().err
