"""`empathy-sim export`: each format round-trips and the filters cut rows as they should."""

import orjson
import pytest

import report_records as rr
from simulator.export.checks import openai_problems
from simulator.core.records import CRITERIA
from simulator.cli.subcommands import build_parser


@pytest.fixture
def run_dir(tmp_path):
    return rr.write_run(tmp_path / "run", rr.suite())


def export(run_dir, tmp_path, *argv):
    tmp_path.mkdir(parents=True, exist_ok=True)
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


def feature(f) -> str:
    """A `datasets` feature in the dataset card's words (simulator/export_card.column_type)."""
    from datasets import Value

    if isinstance(f, Value):
        return f.dtype
    inner = getattr(f, "feature", None)  # List / Sequence of a dict of Values
    if isinstance(inner, dict):
        return "list of {" + ", ".join(f"{k}: {feature(v)}" for k, v in inner.items()) + "}"
    return repr(f)


def card_features(card: str) -> dict[str, str]:
    section = card.split("## Features")[1].split("## ")[0]
    return {cells[1].strip(): cells[2].strip() for line in section.splitlines()
            if (cells := line.split("|")) and len(cells) == 4 and cells[1].strip() not in ("column", "---")}


def test_hf_export_round_trips_through_datasets_with_its_card(run_dir, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")  # the [test] extras install it
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    folder = tmp_path / "dataset"
    rows = export(run_dir, folder, "--format", "hf")
    assert (folder / "out.jsonl").exists()
    # The folder loads as a dataset through its card's `configs` (data_files), as from the Hub.
    ds = datasets.load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "hf-cache"))
    assert ds.num_rows == len(rows) == 8
    assert ds.to_list() == rows  # same rows, same values, nothing dropped or retyped
    card = (folder / "README.md").read_text()
    declared = card_features(card)
    assert list(declared) == list(ds.features) and len(declared) == len(rows[0])
    assert {k: feature(f) for k, f in ds.features.items()} == declared
    assert declared["messages"] == "list of {role: string, content: string}" and declared["seed"] == "int64"
    assert "license: other" in card and "## Licence" in card and "fake/judge" in card
    front = card.split("---")[1]
    assert "language:\n- en\n- es\n- ja\n" in front  # the cards' languages, as ISO 639-1 (en-IN -> en)
    assert "cognitive: uncalibrated" in card  # the validity caveat for the scripted judge


def test_export_never_overwrites_a_readme_it_did_not_write(run_dir, tmp_path, capsys):
    (tmp_path / "README.md").write_text("# my project\n")
    with pytest.raises(SystemExit) as e:
        export(run_dir, tmp_path, "--format", "hf")
    assert e.value.code == 2 and "README.md: exists and was not written by empathy-sim" in capsys.readouterr().err
    assert (tmp_path / "README.md").read_text() == "# my project\n" and not (tmp_path / "out.jsonl").exists()
    export(run_dir, tmp_path / "own", "--format", "hf")
    export(run_dir, tmp_path / "own", "--format", "openai")  # its own card is rewritten
    assert "# empathy-sim openai export" in (tmp_path / "own" / "README.md").read_text()


def test_openai_rows_are_chat_fine_tuning_examples(run_dir, tmp_path):
    for extra in ([], ["--system", "Be a good friend."]):
        rows = export(run_dir, tmp_path, "--format", "openai", *extra)
        assert rows and all(openai_problems(r) == [] for r in rows)
        for r in rows:
            assert [set(m) for m in r["messages"]] == [{"role", "content"}] * len(r["messages"])
            assert {m["role"] for m in r["messages"]} <= {"system", "user", "assistant"}


def test_openai_problems_names_each_break():
    ok = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    assert openai_problems(ok) == []
    assert openai_problems({**ok, "id": 1}) == ["keys ['id', 'messages']: only 'messages' is allowed"]
    assert openai_problems({"messages": ok["messages"][:1]}) == ["messages: the last message must be the assistant's"]
    late_system = {"messages": [*ok["messages"][:1], {"role": "system", "content": "x"}, ok["messages"][1]]}
    assert openai_problems(late_system) == ["messages[1]: a system message may only come first"]
    bad = {"messages": [{"role": "tool", "content": ""}, {"role": "assistant", "content": "a", "name": "x"}]}
    assert openai_problems(bad) == ["messages[0].role 'tool': one of system, user, assistant",
                                    "messages[0].content: a non-empty string is required",
                                    "messages[1]: exactly the keys role and content are allowed",
                                    "messages: no user message"]


def test_dpo_pairs_prefer_the_higher_score(run_dir, tmp_path):
    rows = export(run_dir, tmp_path, "--format", "dpo", "--allow-uncalibrated")  # fake/judge has no figure
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
    rows = export(run_dir, tmp_path, "--format", "dpo", "--criterion", "linguistic_distancing", "--allow-uncalibrated")
    assert all(r["criterion"] == "linguistic_distancing" for r in rows)
    assert sorted((r["chosen_score"], r["rejected_score"]) for r in rows) == [(4.0, 1.0), (5.0, 1.0), (5.0, 4.0)]


def test_min_score_filter(run_dir, tmp_path):
    rows = export(run_dir, tmp_path, "--format", "hf", "--min-score", "4.5")
    assert [r["score_mean"] for r in rows] == [5.0]
    rows = export(run_dir, tmp_path, "--format", "openai", "--min-score", "4", "--criterion", "cognitive")
    assert len(rows) == 6  # the warm model's six ok records; cold scores 2 and 1
    rows = export(run_dir, tmp_path, "--format", "dpo", "--min-score", "5", "--allow-uncalibrated")
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


@pytest.fixture
def validity_file(tmp_path, monkeypatch):
    """fake/judge calibrated: cognitive beats reply length, linguistic_distancing does not."""
    def fig(value, length):
        return {"set": "pair", "source": "test", "metric": "pairwise_hq_vs_lq", "value": value,
                "ci": [value - 0.05, value + 0.05], "n": 30, "length_value": length, "length_ci": None}

    path = tmp_path / "validity.json"
    path.write_bytes(orjson.dumps({"judges": {"fake/judge|structured|t": {
        "cognitive": fig(0.8, 0.6), "linguistic_distancing": fig(0.4, 0.6)}}, "instruments": {}}))
    monkeypatch.setenv("EMPATHY_SIM_VALIDITY", str(path))
    return path


def test_dpo_takes_only_calibrated_criteria(run_dir, tmp_path, validity_file, capsys):
    rows = export(run_dir, tmp_path, "--format", "dpo", "--criterion", "cognitive")
    assert len(rows) == 4  # warm (5, 4) against cold (2, 1), every record eligible
    assert export(run_dir, tmp_path, "--format", "dpo", "--criterion", "linguistic_distancing") == []
    out = capsys.readouterr().out
    assert "dropped 8 record(s) before pairing: 8 judge no better than reply length on linguistic_distancing" in out
    assert export(run_dir, tmp_path, "--format", "dpo") == []  # the mean needs every criterion calibrated
    assert "judge uncalibrated on sentiment_attenuation (the mean needs every criterion)" in capsys.readouterr().out


def test_dpo_drops_conversations_whose_persona_broke_character(tmp_path, validity_file):
    from simulator.core.records import FidelityIssue

    recs = rr.suite()
    flagged = next(r for r in recs if r.key.subject == "fake/warm" and r.persona.id == rr.MAYA and r.key.seed == 0)
    flagged.conversation.fidelity_issues = [FidelityIssue(kind="broke_character", turn=2, detail="test")]
    run_dir = rr.write_run(tmp_path / "run", recs)
    rows = export(run_dir, tmp_path / "ds", "--format", "dpo", "--criterion", "cognitive")
    assert len(rows) == 2 and all(r["chosen_record_id"] != flagged.record_id for r in rows)
    card = (tmp_path / "ds" / "README.md").read_text()
    assert "dropped before pairing: 1 × persona out of character (broke_character)" in card
    # --allow-uncalibrated lifts the judge rule only: the out-of-character conversation stays out
    rows = export(run_dir, tmp_path / "ds", "--format", "dpo", "--allow-uncalibrated")
    assert rows and all(flagged.record_id not in (r["chosen_record_id"], r["rejected_record_id"]) for r in rows)
    assert "LIFTED for this export (--allow-uncalibrated)" in (tmp_path / "ds" / "README.md").read_text()
