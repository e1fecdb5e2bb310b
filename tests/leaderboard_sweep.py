"""A two-model Hydra sweep with its pairwise verdicts, for the leaderboard and browser tests."""

import json
import os
import subprocess
import sys
from pathlib import Path

from simulator.core.records import CRITERIA

ROOT = Path(__file__).resolve().parent.parent


def fair_judge(messages, params):
    """Picks the conversation whose subject never says 'professional', whatever its position."""
    one = messages[-1]["content"].split("<conversation_1>")[1].split("</conversation_1>")[0]
    return json.dumps({c: "2" if "professional" in one else "1" for c in CRITERIA})


def two_model_sweep(tmp_path) -> Path:
    """A Hydra sweep over two subject models (this worktree's code, scripted fakes)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "EMPATHY_SIM_IMPORT": "fake_plugin",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-m", "simulator.cli.main", "-m", "scenario=grief_missed_last_call",
                        "persona=maya_grieving_daughter", "seeds=[0,1,2]", "max_turns=2",
                        "models.persona.model=fake/persona", "models.judge.model=fake/judge",
                        "models.subject.model=fake/subject,fake/subject_cold", f"run.out_dir={tmp_path}",
                        "run.progress=false", "run.cache=false"],
                       capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    (sweep,) = list((tmp_path / "sweeps").iterdir())
    return sweep


def pairwise_cli(path, *argv):
    from simulator.cli.subcommands import build_parser

    args = build_parser().parse_args(["pairwise", str(path), *argv])
    args.fn(args)


def judge_pairs(sweep: Path, fake) -> Path:
    """`empathy-sim pairwise SWEEP` in process, with a judge that prefers the warm subject."""
    fake.set("pair", fair_judge)
    pairwise_cli(sweep, "--model", "fake/pair")
    return sweep
