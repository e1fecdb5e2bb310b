"""Export judged conversations as fine-tuning or preference data (openai, hf or dpo JSONL).

    empathy-sim export RUN_OR_SWEEP_DIR --format openai|hf|dpo --out FILE
        [--min-score X] [--criterion C] [--persona ID ...] [--scenario ID ...] [--system TEXT]

Only evaluable records are exported (status ok, no non-evaluable termination). Filters apply to
every format; --min-score compares the first successful judge's score on --criterion (default: the
mean of all criteria; a re-judge's verdicts come first, newest first) and, for dpo,
applies to the chosen reply of each pair (see simulator/export/rows.py for the formats).
One JSON object per line, written with orjson, and a dataset card (README.md) beside the file
(simulator/export/card.py). openai rows are checked against the chat fine-tuning format and dpo
takes only in-character, calibrated-judge conversations (simulator/export/checks.py).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import orjson

from simulator.export.card import CARD, render, writable
from simulator.export.checks import dpo_eligible, openai_problems
from simulator.export.rows import FORMATS, build_rows, keep
from simulator.core.records import CRITERIA, RunRecord
from simulator.core.store import iter_records
from simulator.report.summary import find_run_dirs


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="a run dir (records.jsonl) or a sweep dir (runs.txt)")
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--out", required=True, help="output .jsonl file")
    p.add_argument("--min-score", type=float, default=None,
                   help="keep records whose judge score is at least this (1..5)")
    p.add_argument("--criterion", choices=CRITERIA, default=None,
                   help="score used by --min-score and dpo preference (default: mean of criteria)")
    p.add_argument("--persona", nargs="+", action="extend", default=None, help="persona id(s) to keep")
    p.add_argument("--scenario", nargs="+", action="extend", default=None, help="scenario id(s) to keep")
    p.add_argument("--system", default=None, help="system message to put first in every conversation")
    p.add_argument("--allow-uncalibrated", action="store_true",
                   help="dpo: also pair conversations whose judge is not calibrated on the criterion "
                        "(the dataset card says so)")


def load(path: Path) -> list[RunRecord]:
    runs = find_run_dirs(path)
    if not runs:
        raise FileNotFoundError(f"{path}: no records.jsonl here or in the runs it lists")
    return [r for d in runs for r in iter_records(d)]


def select(records: list[RunRecord], args: argparse.Namespace) -> list[RunRecord]:
    # dpo applies --min-score per pair (to the chosen side), so it is left out of the record filter.
    min_score = None if args.format == "dpo" else args.min_score
    personas = set(args.persona) if args.persona else None
    scenarios = set(args.scenario) if args.scenario else None
    return [r for r in records if keep(r, personas=personas, scenarios=scenarios,
                                       min_score=min_score, criterion=args.criterion)]


def write_jsonl(rows: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        for row in rows:
            f.write(orjson.dumps(row) + b"\n")


def export(args: argparse.Namespace) -> tuple[int, int, Counter]:
    """Writes the JSONL and its dataset card; returns (records kept, rows written, dpo drops by reason)."""
    out = Path(args.out)
    card = writable(out)
    source = recs = select(load(Path(args.path)), args)
    dropped: Counter = Counter()
    if args.format == "dpo":
        recs, dropped = dpo_eligible(source, args.criterion, args.allow_uncalibrated)
    rows = build_rows(args.format, recs, criterion=args.criterion, min_score=args.min_score,
                      system=args.system)
    if args.format == "openai":
        for n, row in enumerate(rows, 1):
            if problems := openai_problems(row):
                raise ValueError(f"{out}: row {n} is not a chat fine-tuning example: {'; '.join(problems)}")
    write_jsonl(rows, out)
    filters = {k: getattr(args, k) for k in ("min_score", "criterion", "persona", "scenario", "system")}
    card.write_text(render(args.format, out.name, rows, source, filters=filters, dropped=dropped,
                           allow_uncalibrated=args.allow_uncalibrated), encoding="utf-8")
    return len(recs), len(rows), dropped


def run(args: argparse.Namespace) -> None:
    from simulator.core.errors import fail

    if args.min_score is not None and not 1 <= args.min_score <= 5:
        fail(f"--min-score must be within 1..5 (scores are 1..5), got {args.min_score}")
    try:
        kept, written, dropped = export(args)
    except (FileNotFoundError, FileExistsError, ValueError) as e:
        fail(str(e))
        return
    if dropped:
        print(f"dpo: dropped {sum(dropped.values())} record(s) before pairing: "
              + "; ".join(f"{n} {why}" for why, n in sorted(dropped.items())))
        if not written:
            print("dpo: no pair left; --criterion C picks one criterion (simulator/core/validity.json says which beat "
                  "reply length), --allow-uncalibrated pairs on uncalibrated scores (the card says so)")
    print(f"{written} {args.format} row(s) from {kept} record(s) → {args.out} (dataset card: "
          f"{Path(args.out).parent / CARD})")
