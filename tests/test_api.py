"""The Python API (simulator/api.py): config from the packaged defaults, runs sync and async,
re-scoring, typed records and summary, all through fakes on the real litellm call site."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

import fakes
from simulator import api
from simulator.core.records import CRITERIA, RunRecord
from simulator.core.store import iter_records

ROOT = Path(__file__).resolve().parents[1]
FAKE_MODELS = {
    "persona": {"model": "fake/persona", "max_tokens": 50},
    "subject": {"model": "fake/subject", "max_tokens": 50},
    "judge": {"model": "fake/judge", "max_tokens": 500},
}


def fake_cfg(tmp_path, **over):
    """Fakes in every role; `over` holds dotted keys (run.name=...) applied after the rest."""
    base = {"persona": ["maya_grieving_daughter"], "scenario": ["grief_missed_last_call"], "max_turns": 2,
            "models": FAKE_MODELS, "run": {"out_dir": str(tmp_path / "out"), "progress": False,
                                            "cache": False, "backoff_s": 0.0}}
    return api.config({**base, **over})


def script(fake, judge_score=4):
    fake.set("persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "ok"]))
    fake.set("subject", fakes.subject_script(fakes.WARM))
    fake.set("judge", fakes.judge_json({c: judge_score for c in CRITERIA}))
    fake.set("judge2", fakes.judge_json({c: 2 for c in CRITERIA}))


def test_config_starts_from_the_packaged_defaults_and_merges_overrides():
    cfg = api.config({"models.subject.model": "ollama/llama3.1"}, max_turns=2,
                     models={"judge": {"temperature": 0.3}, "persona": {"extra": {"top_p": 0.9}}})
    defaults = api.defaults()
    assert cfg.models.subject.model == "ollama/llama3.1"
    # the rest of the role's spec is the packaged default, not pydantic's
    assert cfg.models.subject.max_tokens == defaults["models"]["subject"]["max_tokens"]
    assert cfg.models.judge.temperature == 0.3 and cfg.models.judge.model == defaults["models"]["judge"]["model"]
    assert cfg.models.persona.extra == {"top_p": 0.9} and cfg.max_turns == 2
    assert cfg.scenario == defaults["scenario"]
    assert api.config().config_hash() == api.run_config(defaults).config_hash()


@pytest.mark.parametrize("over, message", [
    ({"concurency": 2}, r"unknown config key 'concurency'; nearest: run.concurrency"),
    ({"models.subject.api_bse": "x"}, r"unknown config key 'models.subject.api_bse'; nearest: models.subject.api_base"),
    ({"run": {"concurrency": 0}}, r"config field run.concurrency: .*greater than or equal to 1 \(got 0\)"),
    ({"judge": {"method": "vibes"}}, r"config field judge.method: .*'vibes'"),
])
def test_a_bad_config_is_one_line_naming_the_key(over, message):
    with pytest.raises(api.UsageError, match=message):
        api.config(over)


def test_cards_and_plan():
    assert api.load_persona("maya_grieving_daughter").name.startswith("Maya")
    assert api.load_scenario("grief_missed_last_call").theme == "grief"
    ids = [c.id for c in api.list_cards("scenarios")]
    assert "grief_missed_last_call" in ids and len(ids) == len(set(ids)) > 10
    keys = api.plan(api.config(scenario=["grief_missed_last_call"], seeds=[0, 1]))
    assert [(k.persona, k.seed) for k in keys] == [("maya_grieving_daughter", 0), ("maya_grieving_daughter", 1)]
    with pytest.raises(api.UsageError, match="unknown scenario id 'no_such'"):
        api.plan(api.config(scenario=["no_such"]))
    with pytest.raises(api.UsageError, match="kind must be"):
        api.list_cards("judges")


def test_run_then_records_and_summary_are_typed(fake, tmp_path):
    script(fake)
    notes: list[str] = []
    result = api.run(fake_cfg(tmp_path), say=notes.append)
    assert result.status == "complete" and result.written == 1 and result.counts == {"ok": 1}
    assert result.summary_path == result.run_dir / "summary.json" and result.report_paths["html"].exists()
    assert any("1 conversation(s)" in n for n in notes) and any(n.startswith("complete:") for n in notes)
    [rec] = result.records()
    assert isinstance(rec, RunRecord) and len(rec.conversation.subject_turns()) == 2
    assert rec.verdicts[0].scores["cognitive"].score == 4
    s = result.summary()
    assert isinstance(s, api.Summary) and s.records == 1 and s.evaluable == 1
    model = s.models["fake/subject"]
    assert model.conversations == 1 and model.criteria["cognitive"].mean == 4.0
    assert model.criteria["cognitive"].n == 1 and "subject_turns" in model.instruments
    assert "judge_agreement" in s.model_extra  # the rest of the summary is kept
    again = api.run(fake_cfg(tmp_path))
    assert again.skipped == 1 and again.written == 0


def test_run_async_in_a_running_loop_and_run_refuses_there(fake, tmp_path):
    script(fake)

    async def notebook():
        with pytest.raises(api.UsageError, match=r"await simulator.api.run_async"):
            api.run(fake_cfg(tmp_path))
        return await api.run_async(fake_cfg(tmp_path))

    result = asyncio.run(notebook())
    assert result.status == "complete" and result.records()[0].status == "ok"


def test_a_missing_api_key_and_a_changed_config_are_usage_errors(fake, tmp_path, monkeypatch):
    script(fake)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(api.UsageError, match="models.subject: openai/gpt-4o-mini needs the environment variable OPENAI_API_KEY"):
        api.run(fake_cfg(tmp_path, **{"models.subject.model": "openai/gpt-4o-mini"}))
    api.run(fake_cfg(tmp_path, **{"run.name": "fixed"}))
    with pytest.raises(api.UsageError, match="config"):
        api.run(fake_cfg(tmp_path, max_turns=3, **{"run.name": "fixed"}))


def test_rescore_puts_the_new_judge_first(fake, tmp_path):
    script(fake)
    result = api.run(fake_cfg(tmp_path, **{"run.report": False}))
    [path] = api.rescore(result.run_dir, ["fake/judge2"], progress=False)
    assert path.parent.name == "verdicts" and path.exists()
    [rec] = api.records(result.run_dir)
    assert [v.model for v in rec.verdicts] == ["fake/judge2", "fake/judge"]
    assert api.summary(result.run_dir).models["fake/subject"].criteria["cognitive"].mean == 2.0
    # the same as the run loader, which the CLI's report reads
    assert [r.verdicts[0].model for r in iter_records(result.run_dir)] == ["fake/judge2"]
    with pytest.raises(api.UsageError, match="no records.jsonl"):
        api.rescore(tmp_path / "nowhere", ["fake/judge2"])
    with pytest.raises(api.UsageError, match="no records.jsonl"):
        api.records(tmp_path / "nowhere")


def test_the_cli_judge_command_goes_through_the_api(fake, tmp_path, capsys):
    from simulator.cli.main import main

    script(fake)
    result = api.run(fake_cfg(tmp_path, **{"run.report": False}))
    main(["judge", str(result.run_dir), "--model", "fake/judge2", "--quiet"])
    assert "verdicts → " in capsys.readouterr().out
    assert api.records(result.run_dir)[0].verdicts[0].model == "fake/judge2"
    with pytest.raises(SystemExit) as e:
        main(["judge", str(tmp_path / "nowhere")])
    assert e.value.code == 2 and "no records.jsonl" in capsys.readouterr().err


def test_importing_the_api_loads_no_model_library():
    code = ("import sys, simulator.api; "
            "print(sorted(m for m in ('litellm', 'langgraph', 'llama_cpp', 'hydra') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
