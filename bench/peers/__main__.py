"""This project and its peers side by side: one loopback server, one workload, one run.

    python -m bench.peers [--conversations 50 --turns 6 --concurrency 5 50 --latency-ms 200]
                          [--peers ours deepeval deepeval_shared sotopia] [--big 500] [--venvs DIR]

Each peer runs in its own virtual environment under bench/peers/.venvs/ (created here on first
use from requirements-<peer>.txt; never this project's dependencies) through a small driver
script; this project runs through bench.peers.drive_ours. A peer whose venv cannot be made or
whose driver fails is skipped with the reason. Every driver warms up with one short
conversation, zeroes the server's counter, runs the workload and prints its wall and CPU time.

calls per conversation: counted by the server ÷ conversations
ideal wall = calls per conversation × latency × ceil(conversations / concurrency)   (as bench.sweep_efficiency)
efficiency = ideal ÷ measured wall;  client CPU per call = the driver's CPU seconds ÷ server calls
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import venv
from pathlib import Path

from bench import report
from bench.loopback_plan import ServerOptions
from bench.server_process import ServerProcess

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENVS = HERE / ".venvs"
# peer → (venv name, driver, extra driver args, what it is)
PEERS = {
    "ours": (None, None, [], "empathy-sim (this project), run.processes=1"),
    "deepeval": ("deepeval", "drive_deepeval.py", [], "DeepEval ConversationSimulator, default model class"),
    "deepeval_shared": ("deepeval", "drive_deepeval.py", ["--shared-client"],
                        "DeepEval, hand-tuned: one shared httpx client for the simulator model"),
    "sotopia": ("sotopia", "drive_sotopia.py", [], "sotopia arun_one_episode, 2 LLMAgents round-robin"),
}


def _python(venv_dir: Path) -> Path:
    return venv_dir / "bin" / "python"


def ensure_venv(name: str, root: Path, log) -> tuple[Path | None, str]:
    """The venv's python, creating and filling it if needed; (None, why) when that fails."""
    where = root / name
    req = HERE / f"requirements-{name}.txt"
    py = _python(where)
    check = [str(py), "-c", f"import {name}"]
    if py.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return py, "present"
    print(f"[peers] creating {where} from {req.name} (a few minutes) …", flush=True)
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(where)
    except Exception as e:  # noqa: BLE001 - reported and skipped
        return None, f"cannot create a venv at {where}: {e}"
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", str(req)], capture_output=True, text=True)
    log.write(r.stdout + r.stderr)
    if r.returncode != 0:
        tail = [ln for ln in (r.stderr or r.stdout).splitlines() if ln.strip() and "Location" not in ln][-3:]
        return None, f"pip install -r {req.name} failed: {' | '.join(tail)}"
    if subprocess.run(check, capture_output=True).returncode != 0:
        return None, f"{name} installed but cannot be imported in {where}"
    return py, "created"


def _last_json(text: str) -> dict | None:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def run_one(peer: str, py: Path | None, server: ServerProcess, conversations: int, turns: int,
            concurrency: int, latency_ms: float, log, processes: int = 1, timeout_s: float = 1800) -> dict:
    _, driver, extra, what = PEERS[peer]
    args = ["--url", server.url, "--conversations", str(conversations), "--turns", str(turns),
            "--concurrency", str(concurrency)]
    if driver is None:
        cmd = [sys.executable, "-m", "bench.peers.drive_ours", *args, "--processes", str(processes)]
    else:
        cmd = [str(py), str(HERE / driver), *args, *extra]
    row = {"peer": peer, "what": what, "conversations": conversations, "turns": turns,
           "concurrency": concurrency, "processes": processes if driver is None else None}
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {**row, "skipped": f"driver ran past {timeout_s:.0f} s"}
    log.write(f"$ {' '.join(cmd)}\n{r.stdout}\n{r.stderr}\n")
    out = _last_json(r.stdout)
    if r.returncode != 0 or out is None:
        tail = [ln for ln in r.stderr.splitlines() if ln.strip()][-2:]
        return {**row, "skipped": f"driver failed (rc {r.returncode}): {' | '.join(tail)[:300]}"}
    calls = server.stats()["total"]
    per_conv = calls / conversations
    ideal = per_conv * latency_ms / 1000.0 * math.ceil(conversations / concurrency)
    return {**row, "server_calls": calls, "calls_per_conversation": per_conv, "ideal_wall_s": ideal,
            "wall_s": out["wall_s"], "efficiency": ideal / out["wall_s"] if out["wall_s"] else 0.0,
            "client_cpu_ms_per_call": 1000.0 * out["cpu_s"] / calls if calls else None, "driver": out}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__.split("\n\n")[0])
    p.add_argument("--conversations", type=int, default=50)
    p.add_argument("--turns", type=int, default=6)
    p.add_argument("--concurrency", type=int, nargs="+", default=[5, 50])
    p.add_argument("--latency-ms", type=float, default=200.0)
    p.add_argument("--peers", nargs="+", default=list(PEERS), choices=list(PEERS))
    p.add_argument("--big", type=int, default=500,
                   help="also this project alone at this many conversations, concurrency max(--concurrency), "
                        "with run.processes 1 and 2 (0: skip)")
    p.add_argument("--venvs", default=str(VENVS), help="where the peers' venvs live (default bench/peers/.venvs)")
    p.add_argument("--out", default=None, help="JSON path (default bench/results/peers.json)")
    ns = p.parse_args(argv)
    log_path = HERE / ".venvs" / "peers.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    pythons: dict[str, Path | None] = {}
    skipped: dict[str, str] = {}
    with open(log_path, "w") as log:
        for peer in ns.peers:
            name = PEERS[peer][0]
            if name is None or name in pythons:
                continue
            pythons[name], how = ensure_venv(name, Path(ns.venvs), log)
            if pythons[name] is None:
                skipped[name] = how
                print(f"[peers] skipping {name}: {how}", flush=True)
        rows = []
        with ServerProcess(ServerOptions(latency_ms=ns.latency_ms, schema_replies=True)) as server:
            for c in ns.concurrency:
                for peer in ns.peers:
                    name = PEERS[peer][0]
                    if name in skipped:
                        rows.append({"peer": peer, "concurrency": c, "skipped": skipped[name]})
                        continue
                    print(f"[peers] {peer}, {ns.conversations} × {ns.turns}, concurrency {c} …", flush=True)
                    rows.append(run_one(peer, pythons.get(name), server, ns.conversations, ns.turns, c,
                                        ns.latency_ms, log))
            if ns.big and "ours" in ns.peers:
                for processes in (1, 2):
                    print(f"[peers] ours, {ns.big} × {ns.turns}, concurrency {max(ns.concurrency)}, "
                          f"processes {processes} …", flush=True)
                    rows.append(run_one("ours", None, server, ns.big, ns.turns, max(ns.concurrency),
                                        ns.latency_ms, log, processes=processes))
    done = [r for r in rows if "skipped" not in r]
    print(report.table(done, ["peer", "conversations", "turns", "concurrency", "processes", "calls_per_conversation",
                              "ideal_wall_s", "wall_s", "efficiency", "client_cpu_ms_per_call"]))
    for r in rows:
        if "skipped" in r:
            print(f"skipped {r['peer']} (concurrency {r['concurrency']}): {r['skipped']}")
    versions = {}
    for name, py in pythons.items():
        if py is not None:
            versions[name] = subprocess.run([str(py), "-m", "pip", "freeze"], capture_output=True,
                                            text=True).stdout.split()
    path = report.write("peers", {"latency_ms": ns.latency_ms, "rows": rows, "peer_venvs": versions}, ns.out)
    print(f"wrote {path} (driver output: {log_path})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
