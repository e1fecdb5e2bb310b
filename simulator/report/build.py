"""report.html and report.md for a run or sweep directory, from its records alone.

Never calls a model. Reads summary.json when it is there (`empathy-sim report` writes it first),
else computes the same summary in memory. The HTML is self-contained: inline CSS, inline SVG
charts drawn in Python, a few lines of inline JS, no URL to fetch; it opens offline.

Layout: simulator/report/analysis.py (derived numbers), report_charts.py (SVG),
report_transcript.py (the conversation view), report_html.py / report_md.py (the two pages),
report_style.py (CSS and JS).
"""

from __future__ import annotations

from pathlib import Path

import orjson

from simulator.report import html as report_html, md as report_md
from simulator.core.records import RunRecord
from simulator.report.analysis import ReportData, build
from simulator.core.store import iter_records
from simulator.report.summary import SUMMARY, attach_leaderboard, find_run_dirs, summarize

HTML, MD = "report.html", "report.md"


def load_records(runs: list[Path]) -> list[RunRecord]:
    return [r for d in runs for r in iter_records(d)]


def planned(runs: list[Path]) -> int:
    total = 0
    for d in runs:
        m = d / "manifest.json"
        if m.exists():
            total += orjson.loads(m.read_bytes()).get("planned", 0)
    return total


def load_summary(path: Path, records: list[RunRecord], runs: list[Path]) -> dict:
    """summary.json if present (it is derived from the same records), else computed here."""
    p = path / SUMMARY
    if p.exists():
        return orjson.loads(p.read_bytes())
    summary = summarize(records, planned(runs))
    summary["runs"] = [str(d) for d in runs]
    return attach_leaderboard(summary, path)


def report_data(path: Path) -> ReportData:
    path = Path(path)
    runs = find_run_dirs(path)
    if not runs:
        raise FileNotFoundError(f"{path}: no records.jsonl here or in the runs it lists")
    records = load_records(runs)
    summary = load_summary(path, records, runs)
    return build(path.resolve().name, [str(d) for d in runs], summary, records)


def write_report(path: Path) -> dict[str, Path]:
    """Write report.html and report.md into the run or sweep dir; returns their paths."""
    path = Path(path)
    data = report_data(path)
    html_path, md_path = path / HTML, path / MD
    html_path.write_text(report_html.render(data), encoding="utf-8")
    md_path.write_text(report_md.render(data), encoding="utf-8")
    return {"html": html_path, "md": md_path}
