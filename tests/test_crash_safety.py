"""kill -9 at random points during a run and a re-judge, several times; then resume.

Afterwards the records are exactly the planned set (nothing lost, nothing duplicated, no corrupt
line) and the verdict file holds exactly one verdict per judged record.
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson

from simulator.core.records import ModelSpec
from simulator.run.rescore import verdict_file

TESTS = Path(__file__).parent
SEEDS = list(range(12))


def env():
    return {**os.environ, "EMPATHY_SIM_IMPORT": "fake_plugin",
            "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}


def run_args(out: Path) -> list[str]:
    return [sys.executable, "-m", "simulator.cli.main", "persona=maya_grieving_daughter",
            "scenario=grief_missed_last_call", f"seeds=[{','.join(map(str, SEEDS))}]", "max_turns=2",
            "models.persona.model=fake/slow_persona", "models.subject.model=fake/slow_subject",
            "models.judge.model=fake/slow_judge", f"run.out_dir={out}", "run.progress=false",
            "run.cache=false", "run.concurrency=3", "run.report=false", "run.name=crash"]


def line_count(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.exists() else 0


def kill_mid_way(cmd: list[str], watch: Path, rng: random.Random, cwd: Path) -> bool:
    """Start cmd; once it has written at least one new line, kill -9 it after a random pause.
    Returns False if it finished before we could kill it."""
    before = line_count(watch)
    proc = subprocess.Popen(cmd, env=env(), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if line_count(watch) > before:
            time.sleep(rng.uniform(0.0, 0.3))
            break
        time.sleep(0.01)
    if proc.poll() is not None:
        return False
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


def parse_all(path: Path) -> list[dict]:
    rows = []
    for line in path.read_bytes().splitlines():
        rows.append(orjson.loads(line))  # raises on any corrupt line
    return rows


def test_kill9_during_run_and_rejudge_then_resume(tmp_path):
    rng = random.Random(1234)
    out = tmp_path / "out"
    records = out / "crash" / "records.jsonl"
    kills = sum(kill_mid_way(run_args(out), records, rng, tmp_path) for _ in range(3))
    assert kills >= 2, "the run finished before it could be killed; the fakes are too fast"
    done = subprocess.run(run_args(out), env=env(), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]

    rows = parse_all(records)
    manifest = orjson.loads((out / "crash" / "manifest.json").read_bytes())
    ids = [r["record_id"] for r in rows]
    assert sorted(ids) == sorted(manifest["planned_ids"])  # exactly the planned set, once each
    assert len(ids) == len(set(ids)) == len(SEEDS)
    assert all(r["status"] == "ok" for r in rows)

    # Re-judge, killed several times, then resumed.
    judge = [sys.executable, "-m", "simulator.cli.main", "judge", str(out / "crash"), "--model",
             "fake/slower_judge", "--no-cache", "--quiet", "--concurrency", "2"]
    vfile = verdict_file(out / "crash", ModelSpec(model="fake/slower_judge", temperature=0.0,
                                                  max_tokens=1200), "relational_empathy")
    judge_kills = sum(kill_mid_way(judge, vfile, rng, tmp_path) for _ in range(3))
    assert judge_kills >= 2
    done = subprocess.run(judge, env=env(), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    verdicts = parse_all(vfile)
    vids = [v["record_id"] for v in verdicts]
    assert sorted(vids) == sorted(ids) and len(vids) == len(set(vids))
    assert all(v["verdict"]["status"] == "ok" for v in verdicts)
