"""The commands that call no model start without importing litellm or llama-cpp.

Each command runs in a fresh interpreter through `simulator.cli.main.main` (what the `empathy-sim`
script calls); at exit the process writes which model libraries it had imported. Its CPU time is
a benchmark (`python -m bench.startup`), not asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import report_records as rr

MODEL_LIBS = ("litellm", "llama_cpp", "langgraph")
PROBE = """
import atexit, json, sys
atexit.register(lambda: print("LOADED=" + json.dumps([m for m in %r if m in sys.modules])))
from simulator.cli.main import main
main(sys.argv[1:])
""" % (MODEL_LIBS,)


def loaded(argv: list[str], cwd, plugins: str = "") -> tuple[list[str], subprocess.CompletedProcess]:
    env = {**os.environ, "EMPATHY_SIM_IMPORT": plugins}
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("LOADED=")]
    assert lines, done.stdout + done.stderr
    return json.loads(lines[-1][len("LOADED="):]), done


def commands(run_dir, bad_card, out) -> dict[str, list[str]]:
    return {
        "help": ["--help"],
        "list": ["list"],
        "list --help": ["list", "--help"],
        "validate all": ["validate"],
        "validate bad": ["validate", str(bad_card)],
        "summary": ["summary", str(run_dir)],
        "report": ["report", str(run_dir)],
        "export": ["export", str(run_dir), "--format", "openai", "--out", str(out)],
        "cfg job": ["--cfg", "job"],
    }


NAMES = ["help", "list", "list --help", "validate all", "validate bad", "summary", "report", "export", "cfg job"]


@pytest.mark.parametrize("name", NAMES)
def test_command_answers_without_model_libraries(name, tmp_path):
    run_dir = rr.write_run(tmp_path / "outputs" / "run", rr.suite())
    bad = tmp_path / "personas" / "bad.yaml"
    bad.parent.mkdir()
    bad.write_text("id: bad\nname: [\n")
    argv = commands(run_dir, bad, tmp_path / "data.jsonl")[name]
    libs, done = loaded(argv, tmp_path)
    assert libs == [], f"`empathy-sim {' '.join(argv)}` imported {libs}"
    assert done.returncode == (2 if name == "validate bad" else 0), done.stderr
    if name == "export":
        assert (tmp_path / "data.jsonl").read_text().count("\n") > 0
    if name == "report":
        assert (run_dir / "report.html").exists()


def test_the_probe_sees_a_model_library_when_one_is_imported(tmp_path):
    libs, done = loaded(["list"], tmp_path, plugins="litellm")  # a plugin that imports it
    assert done.returncode == 0 and libs == ["litellm"]
