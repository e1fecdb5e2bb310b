"""Issue 13 item 5: paths that were half-wired, each pinned by a test that failed before the fix."""

import orjson
import pytest

import fakes
from simulator.core.records import CRITERIA, Conversation, RunRecord, Turn
from simulator.core.store import iter_records, read_lines

ALL_FOURS = {c: 4 for c in CRITERIA}


def _conv(*texts: str) -> Conversation:
    speakers = ["persona", "subject"]
    return Conversation(turns=[Turn(index=i, speaker=speakers[i % 2], text=t) for i, t in enumerate(texts)])


def setup_fakes(fake, judge=None):
    fake.set("persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "yeah", "ok"]))
    fake.set("subject", fakes.subject_script(fakes.WARM))
    fake.set("judge", judge or fakes.judge_json(ALL_FOURS))


def records_on_disk(run_dir):
    rows, bad = read_lines(run_dir / "records.jsonl")
    assert bad == 0
    return [RunRecord.model_validate(r) for r in rows]


# ------------------------------------------------------------------ evidence from persona turns


def test_evidence_quoted_from_a_persona_turn_is_not_verified():
    from judges.llm_judges.structured import verify_evidence

    conv = _conv("I missed her last call", "That guilt sounds so heavy.")
    assert verify_evidence(conv, 1, "guilt sounds so heavy")
    # the judge is told to quote the subject: the person's own words are no evidence about the reply
    assert not verify_evidence(conv, 0, "missed her last call")


# ------------------------------------------------------------------ the conflict-avoidance cue runs


def test_capitulation_runs_per_turn_and_over_the_conversation():
    from judges.instruments import capitulation, run_instruments
    from simulator.core.card_loader import load_scenario

    replies = ["You're right, I agree with you completely.", "I see it differently; that isn't your fault."]
    conv = _conv("hi", replies[0], "but", replies[1])
    out = run_instruments(conv, load_scenario("grief_missed_last_call"))
    per = [row["capitulation"] for row in out["per_turn"]]
    assert per == [capitulation(r)["score"] for r in replies]
    assert per[0] > per[1]
    assert out["conversation"]["capitulation"] == pytest.approx(sum(per) / 2)


# ------------------------------------------------------------------ an instrument crash is an error


def test_an_instrument_crash_makes_the_record_an_error(fake, make_cfg, monkeypatch):
    import dataclasses

    import judges.instruments.conversation as conv_mod

    def boom(reply):
        raise ValueError("lexicon missing")

    broken = tuple(dataclasses.replace(f, per_reply=boom) if f.name == "distancing" else f for f in conv_mod.FAMILIES)
    monkeypatch.setattr(conv_mod, "FAMILIES", broken)
    import simulator.run.scoring as scoring

    monkeypatch.setattr(scoring, "FAMILIES", broken)
    from simulator.run.runner import run

    setup_fakes(fake)
    result = run(make_cfg())
    (rec,) = records_on_disk(result.run_dir)
    assert rec.status == "error"
    assert rec.instruments == {}
    assert rec.error is not None and rec.error.kind == "instrument_error"
    assert "lexicon missing" in rec.error.message and "distancing" in rec.error.message  # names the family
    assert result.status == "complete_with_errors"


# ------------------------------------------------------------------ re-judged verdicts reach the report


def _write_verdicts(path, rows, mtime):
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps({"record_id": rid, "verdict": v.model_dump(mode="json")}) + b"\n"
                              for rid, v in rows))
    os.utime(path, (mtime, mtime))


def test_rejudged_verdicts_become_the_primary_judge_in_summary_report_and_export(tmp_path):
    from report_records import GRIEF, MAYA, MAYA_LINES, WARM, make_record, verdict, write_run
    from simulator.export.files import load
    from simulator.export.rows import hf_row
    from simulator.report.build import write_report
    from simulator.report.readings import primary_verdict
    from simulator.report.summary import summarize

    recs = [make_record(MAYA, GRIEF, "fake/warm", s, WARM, MAYA_LINES, judges=[verdict("fake/judge", 2)])
            for s in (0, 1)]
    run = write_run(tmp_path / "run", recs)
    # an older re-judge, then a newer one that covers only the first record
    _write_verdicts(run / "verdicts" / "old-judge.jsonl", [(r.record_id, verdict("old/judge", 3)) for r in recs],
                    1_000_000)
    _write_verdicts(run / "verdicts" / "new-judge.jsonl", [(recs[0].record_id, verdict("new/judge", 5))],
                    2_000_000)
    got = {r.key.seed: r for r in iter_records(run)}
    assert [v.model for v in got[0].verdicts] == ["new/judge", "old/judge", "fake/judge"]
    assert [v.model for v in got[1].verdicts] == ["old/judge", "fake/judge"]
    assert primary_verdict(got[0]).model == "new/judge"

    s = summarize(list(got.values()))
    assert s["models"]["fake/warm"]["criteria"]["cognitive"]["mean"] == 4.0  # (5 + 3) / 2, not 2
    write_report(run)
    md = (run / "report.md").read_text()
    assert "new/judge" in md
    rows = {r.key.seed: hf_row(r) for r in load(run)}
    assert rows[0]["judge_model"] == "new/judge" and rows[0]["score_cognitive"] == 5
    assert rows[1]["judge_model"] == "old/judge" and rows[1]["score_cognitive"] == 3
    # the records file itself is never edited
    rows, _ = read_lines(run / "records.jsonl")
    assert all(len(r["verdicts"]) == 1 and r["verdicts"][0]["model"] == "fake/judge" for r in rows)


def test_rejudge_writes_where_the_loader_reads(fake, tmp_path):
    """End to end: `rejudge` of a saved run changes what iter_records (and so the report) sees."""
    from simulator.run.config import RunConfig
    from simulator.core.records import ModelSpec
    from simulator.run.rescore import rejudge
    from simulator.run.runner import make_gateway, run

    base = {
        "persona": ["maya_grieving_daughter"], "scenario": ["grief_missed_last_call"], "max_turns": 2,
        "models": {"persona": {"model": "fake/persona", "max_tokens": 50},
                   "subject": {"model": "fake/subject", "max_tokens": 50},
                   "judge": {"model": "fake/judge", "temperature": 0.0, "max_tokens": 500}},
        "run": {"out_dir": str(tmp_path / "out"), "progress": False, "backoff_s": 0.0, "cache": False,
                "report": False},
    }
    cfg = RunConfig.model_validate(base)
    setup_fakes(fake, judge=fakes.judge_json({c: 2 for c in CRITERIA}))
    result = run(cfg)
    fake.set("judge2", fakes.judge_json({c: 5 for c in CRITERIA}))
    rejudge(result.run_dir, [ModelSpec(model="fake/judge2", temperature=0.0, max_tokens=500)],
            make_gateway(cfg), progress=False)
    (rec,) = iter_records(result.run_dir)
    assert [v.model for v in rec.verdicts] == ["fake/judge2", "fake/judge"]
    assert rec.verdicts[0].scores["cognitive"].score == 5


# ------------------------------------------------------------------ a broken subcommand module fails loudly


def _broken_package(tmp_path, monkeypatch):
    pkg = tmp_path / "brokenpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import a_dependency_that_is_not_installed_xyz\n")
    (pkg / "cmd.py").write_text('"""A subcommand whose package cannot be imported."""\n'
                                "def add_arguments(p):\n    pass\n\ndef run(args):\n    print('ran')\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_a_subcommand_whose_module_cannot_be_imported_fails_loudly(tmp_path, monkeypatch, capsys):
    import simulator.cli.subcommands as sc

    _broken_package(tmp_path, monkeypatch)
    monkeypatch.setitem(sc.EXTERNAL, "broken", "brokenpkg.cmd")
    with pytest.raises(SystemExit) as e:
        sc.build_parser(only="broken")
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "broken" in err and "brokenpkg.cmd" in err and "a_dependency_that_is_not_installed_xyz" in err


def test_a_missing_subcommand_module_is_an_error_not_a_missing_subcommand(monkeypatch, capsys):
    import simulator.cli.subcommands as sc

    monkeypatch.setitem(sc.EXTERNAL, "ghost", "simulator.no_such_module_xyz")
    with pytest.raises(SystemExit) as e:
        sc.build_parser(only="list")
    assert e.value.code == 2 and "simulator.no_such_module_xyz" in capsys.readouterr().err


def test_an_import_error_inside_a_subcommand_module_is_not_swallowed(tmp_path, monkeypatch, capsys):
    import simulator.cli.subcommands as sc

    (tmp_path / "halfbroken_cmd.py").write_text(
        '"""Imports fine as a file, fails inside."""\nfrom json import no_such_name_xyz\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(sc.EXTERNAL, "half", "halfbroken_cmd")
    with pytest.raises(SystemExit) as e:
        sc.dispatch("half", [])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "halfbroken_cmd" in err and "no_such_name_xyz" in err
