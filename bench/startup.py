"""(f) Start-up CPU of the `empathy-sim` commands that call no model.

    python -m bench.startup [--reps 5] [--rev 0c40908] [--out PATH]

Each command runs in a fresh process (`simulator.cli.main.main`, what the `empathy-sim` script
calls); its user+sys CPU is read from the child's rusage, and the heavy libraries it ended up
importing (litellm, llama_cpp, langgraph) are recorded. The median of `--reps` runs is kept.

With `--rev`, the same commands also run against that git revision of the engine (a `git
archive` of it, first on PYTHONPATH), interleaved with the working tree, so "before" and "after"
are measured side by side under the same load and the ratio is what to read. The run directory
that report/export/summary read is made by each tree for itself (3 conversations of 3 replies,
the in-process `zero/` provider, judge off).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.report import table, write

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("litellm", "llama_cpp", "langgraph")
WRAPPER = """
import atexit, json, os, sys
def _note():
    with open(os.environ["BENCH_STARTUP_MODULES"], "w") as f:
        json.dump([m for m in %r if m in sys.modules], f)
atexit.register(_note)
from simulator.cli.main import main
main(sys.argv[1:])
""" % (HEAVY,)


def commands(run_dir: Path, bad_card: Path, out: Path) -> dict[str, list[str]]:
    return {
        "--help": ["--help"],
        "list": ["list"],
        "validate bad.yaml": ["validate", str(bad_card)],
        "validate (all cards)": ["validate"],
        "summary RUN": ["summary", str(run_dir)],
        "report RUN": ["report", str(run_dir)],
        "export RUN": ["export", str(run_dir), "--format", "openai", "--out", str(out)],
        "list --help": ["list", "--help"],
    }


# Written by each tree for itself (a tree may not read a newer tree's records), with modules
# both have: the in-process zero/ provider and the real runner, judge off.
MAKE_RUN = """
import sys
import bench.zero_provider as zero
from simulator.run.config import RunConfig
from simulator.run.runner import run
zero.install()
spec = {"model": "zero/x", "temperature": 0.0, "max_tokens": 64}
cfg = RunConfig.model_validate({
    "persona": ["maya_grieving_daughter"], "scenario": ["grief_missed_last_call"],
    "seeds": [0, 1, 2], "max_turns": 3,
    "models": {"persona": spec, "subject": spec, "judge": spec}, "judge": {"enabled": False},
    "run": {"out_dir": sys.argv[1], "name": "startup", "progress": False, "report": False,
            "cache": False, "backoff_s": 0.0, "fidelity_retries": 0},
})
print(run(cfg).run_dir)
"""


def make_run_dir(out_dir: Path, src: Path | None) -> Path:
    env = dict(os.environ)
    root = src or ROOT
    env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run([sys.executable, "-c", MAKE_RUN, str(out_dir)], env=env, cwd=root,
                          capture_output=True, text=True, timeout=600, check=True)
    return Path(done.stdout.strip().splitlines()[-1])


def bad_card(tmp: Path) -> Path:
    import yaml

    card = yaml.safe_load((ROOT / "personas" / "maya_grieving_daughter.yaml").read_text("utf-8"))
    card["id"] = "bad"
    card["relationship"]["kind"] = "pen_pal"
    path = tmp / "personas" / "bad.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(card), "utf-8")
    return path


def measure(argv: list[str], src: Path | None, tmp: Path) -> tuple[float, list[str], int]:
    """(user+sys CPU seconds, heavy modules imported, exit status) of one fresh process."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    mods = tmp / "modules.json"
    mods.unlink(missing_ok=True)
    env["BENCH_STARTUP_MODULES"] = str(mods)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", WRAPPER, *argv], env=env, cwd=tmp,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    heavy = json.loads(mods.read_text()) if mods.exists() else ["?"]
    return cpu, heavy, done.returncode


def export_rev(rev: str, dest: Path) -> Path:
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rev", default=None, help="also measure this git revision (the 'before')")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        trees: dict[str, Path | None] = {"now": None}
        if args.rev:
            trees[f"rev {args.rev}"] = export_rev(args.rev, tmp / "rev")
        card = bad_card(tmp)
        cmds = {tree: commands(make_run_dir(tmp / f"outputs-{i}", src), card, tmp / "data.jsonl")
                for i, (tree, src) in enumerate(trees.items())}
        names = list(cmds["now"])
        samples: dict[tuple[str, str], list[float]] = {}
        info: dict[tuple[str, str], tuple[list[str], int]] = {}
        for _ in range(args.reps):  # interleaved: every tree sees the same load
            for name in names:
                for tree, src in trees.items():
                    cpu, heavy, rc = measure(cmds[tree][name], src, tmp)
                    samples.setdefault((name, tree), []).append(cpu)
                    info[(name, tree)] = (heavy, rc)

    rows = []
    for name in names:
        row: dict = {"command": f"empathy-sim {name}"}
        for tree in trees:
            heavy, rc = info[(name, tree)]
            row[f"cpu_s {tree}"] = round(statistics.median(samples[(name, tree)]), 3)
            row[f"heavy {tree}"] = ",".join(heavy) or "-"
            row[f"rc {tree}"] = rc
        if args.rev:
            row["ratio now/rev"] = round(row["cpu_s now"] / row[f"cpu_s rev {args.rev}"], 3)
        rows.append(row)
    print(table(rows))
    path = write("startup", {"reps": args.reps, "rev": args.rev, "rows": rows,
                             "samples": {f"{n} | {t}": v for (n, t), v in samples.items()}}, args.out)
    print(f"→ {path}")


if __name__ == "__main__":
    main()
