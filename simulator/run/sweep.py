"""Hydra sweeps: each job notes its run dir in the sweep dir; at the end one summary merges all.

Jobs may run in other processes (joblib) or on other machines (submitit, Ray), so the link is a
file: each job appends its run dir to <sweep dir>/runs.txt with one small O_APPEND write.
"""

from __future__ import annotations

import os
from pathlib import Path

from hydra.experimental.callback import Callback


def sweep_dir() -> Path | None:
    """The sweep dir when running under `-m`, else None."""
    try:
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        hc = HydraConfig.get()
    except (ImportError, ValueError):
        return None
    if hc.mode != RunMode.MULTIRUN:
        return None
    return Path(hc.sweep.dir)


def note_run_dir(run_dir: Path) -> None:
    sd = sweep_dir()
    if sd is None:
        return
    sd.mkdir(parents=True, exist_ok=True)
    fd = os.open(sd / "runs.txt", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (str(Path(run_dir).resolve()) + "\n").encode())
    finally:
        os.close(fd)


class MergeSummaryCallback(Callback):
    """Writes summary.json (and the report) for the whole sweep once every job has finished."""

    def on_multirun_end(self, config, **kwargs) -> None:
        import sys

        from simulator.report.summary import write_summary

        sd = Path(config.hydra.sweep.dir)
        if not (sd / "runs.txt").exists():
            return
        path = write_summary(sd)
        print(f"empathy-sim: sweep summary → {path}", file=sys.stderr)
        if config.run.report:
            from simulator.report.build import write_report

            print(f"empathy-sim: sweep report → {write_report(sd)['html']}", file=sys.stderr)
