"""End to end on the real embedded model (SmolLM2-135M), through the CLI, offline.

Slow-ish (tens of seconds on 2 cores) but it is the proof that a fresh machine with no key and
no network runs the whole pipeline.
"""

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from simulator.core.records import CRITERIA, RunRecord

pytestmark = pytest.mark.e2e

SMOL = "local/smollm2-135m"


def run_cli(tmp_path: Path, *overrides: str) -> subprocess.CompletedProcess:
    args = [
        sys.executable, "-m", "simulator.cli.main", "scenario=grief_missed_last_call", "max_turns=2",
        f"models.persona.model={SMOL}", f"models.subject.model={SMOL}", f"models.judge.model={SMOL}",
        "models.persona.max_tokens=48", "models.subject.max_tokens=64",
        f"run.out_dir={tmp_path}", "run.progress=false", *overrides,
    ]
    return subprocess.run(args, capture_output=True, text=True, timeout=900, cwd=tmp_path)


def only_record(tmp_path: Path) -> RunRecord:
    (path,) = list(tmp_path.glob("run-*/records.jsonl"))
    lines = path.read_bytes().splitlines()
    assert len(lines) == 1
    return RunRecord.model_validate(orjson.loads(lines[0]))


def test_two_turn_conversation_on_smollm2(tmp_path):
    r = run_cli(tmp_path, "judge.enabled=false", "run.report=true")
    assert r.returncode == 0, r.stderr[-2000:]
    rec = only_record(tmp_path)
    assert rec.status == "ok" and rec.conversation.error is None
    assert rec.conversation.stop_reason in ("max_turns", "persona_ended", "persona_disengaged")
    subject = rec.conversation.subject_turns()
    assert 1 <= len(subject) <= 2 and all(t.text.strip() for t in subject)
    assert rec.models["subject"].model == SMOL
    assert rec.usage["subject"].completion_tokens > 0 and rec.usage["subject"].cost_usd == 0.0
    assert len(rec.trajectory) == len(subject) + 1
    assert rec.instruments["conversation"]["subject_turns"] == len(subject)
    manifest = orjson.loads(next(tmp_path.glob("run-*/manifest.json")).read_bytes())
    assert manifest["status"] == "complete" and manifest["planned"] == 1
    assert "report →" in r.stderr and next(tmp_path.glob("run-*/report.html")).stat().st_size > 1000
    # Same command again: resumes, skips the finished conversation, calls no model.
    again = run_cli(tmp_path, "judge.enabled=false", "run.report=false")
    assert again.returncode == 0 and "1 already done" in again.stderr


def test_weak_judge_yields_verdict_or_error_never_a_bogus_score(tmp_path):
    r = run_cli(tmp_path, "models.judge.max_tokens=200", "run.report=false")
    assert r.returncode == 0, r.stderr[-2000:]
    rec = only_record(tmp_path)
    (v,) = rec.verdicts
    assert v.model == SMOL and v.same_model_as_subject
    if v.status == "ok":
        assert set(v.scores) == set(CRITERIA) and all(1 <= s.score <= 5 for s in v.scores.values())
    else:
        # SmolLM2 is too weak to judge: its failure is an error record, never a score.
        assert v.error.kind == "parse_error" and v.scores == {} and rec.status == "error"
