"""Engine CPU per model call, an older revision against the working tree, interleaved in one run.

    python -m bench.engine_cpu --rev 3a6d168 [--rounds 3 --conversations 100 --turns 6 --concurrency 50]

Each round runs bench.sweep_efficiency (real runner, loopback server in a child process, 200 ms)
once in a `git archive` of REV and once in the working tree, alternating which goes first, and
reads the sweep's client CPU per call (the whole client: graph, appraisal, records, store,
Gateway, litellm). Reports the median of each and the ratio new ÷ old per round.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from bench import report

ROOT = Path(__file__).resolve().parent.parent


def _archive(rev: str, into: Path) -> Path:
    tar = into / "rev.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(tar), rev], check=True)
    with tarfile.open(tar) as t:
        t.extractall(into / "tree")
    return into / "tree"


def _sweep(tree: Path, out: Path, ns) -> dict:
    cmd = [sys.executable, "-m", "bench.sweep_efficiency", "--conversations", str(ns.conversations),
           "--turns", str(ns.turns), "--concurrency", str(ns.concurrency), "--out", str(out)]
    subprocess.run(cmd, cwd=tree, check=True, capture_output=True, text=True)
    row = json.loads(out.read_text())["rows"][0]
    return {k: row[k] for k in ("client_cpu_ms_per_call", "wall_s", "efficiency", "server_calls", "records")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.engine_cpu", description=__doc__.split("\n\n")[0])
    p.add_argument("--rev", required=True, help="the older revision (anything git archive takes)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--conversations", type=int, default=100)
    p.add_argument("--turns", type=int, default=6)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--out", default=None)
    ns = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-engine-cpu-") as tmp:
        old_tree = _archive(ns.rev, Path(tmp))
        samples: dict[str, list[dict]] = {"old": [], "new": []}
        for r in range(ns.rounds):
            order = [("old", old_tree), ("new", ROOT)] if r % 2 == 0 else [("new", ROOT), ("old", old_tree)]
            for name, tree in order:
                samples[name].append(_sweep(tree, Path(tmp) / f"{name}{r}.json", ns))
                print(f"round {r} {name}: {samples[name][-1]['client_cpu_ms_per_call']:.2f} ms/call", flush=True)
    rows = []
    for name in ("old", "new"):
        cpu = [s["client_cpu_ms_per_call"] for s in samples[name]]
        rows.append({"tree": f"{ns.rev}" if name == "old" else "working tree", "cpu_ms_per_call": statistics.median(cpu),
                     "min": min(cpu), "max": max(cpu),
                     "wall_s": statistics.median(s["wall_s"] for s in samples[name]),
                     "efficiency": statistics.median(s["efficiency"] for s in samples[name])})
    ratios = [n["client_cpu_ms_per_call"] / o["client_cpu_ms_per_call"] for n, o in zip(samples["new"], samples["old"])]
    print(report.table(rows, ["tree", "cpu_ms_per_call", "min", "max", "wall_s", "efficiency"]))
    print(f"new ÷ old CPU per call, per round: {[round(x, 3) for x in ratios]}; median {statistics.median(ratios):.3f}")
    same = all(a["records"] == b["records"] and a["server_calls"] == b["server_calls"]
               for a, b in zip(samples["old"], samples["new"]))
    print(f"same calls and record outcomes in both trees: {same}")
    path = report.write("engine_cpu", {"rev": ns.rev, "rows": rows, "ratios": ratios, "same_outcomes": same,
                                       "samples": samples}, ns.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
