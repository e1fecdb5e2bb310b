"""Instruments that can stand in for a rubric criterion, and the scale that puts them on 1..5.

A criterion's instrument reads one subject reply and the persona message it answers and gives a
raw number (higher = more empathic). Raw numbers mean different things per instrument (a ridge
prediction, a log-odds), so a reading is placed on the rubric's scale by
its percentile among human-written replies: the share of the 5,628 replies of PAIR and EPITOME
(weights/criterion_scale.json, written by `python -m judges.calibration.fit_scale`) that it
outscores, ties counted half. A score of 1 + 4 x percentile therefore says "better than this
share of the replies people labelled", and ranking figures (Spearman, AUC, pairwise accuracy)
measured on the raw number hold unchanged.

The names are calibrate's scorer names, so the figure measured for a name is the figure of the
score the run reports under it.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

from judges.instruments.learned import head_score

SCALE_FILE = "criterion_scale.json"


def _head(name: str) -> Callable[[str, str], float]:
    def score(reply: str, answered: str) -> float:
        return float(head_score(name, [(reply, answered)])[0]) if reply.strip() else float("-inf")

    return score


SCORERS: dict[str, Callable[[str, str], float]] = {
    "learned:pair-fit": _head("pair-fit"),
    "learned:epitome-fit": _head("epitome-fit"),
}


class ScaleError(ValueError):
    """The scale file is missing or lacks an instrument."""


@lru_cache(maxsize=1)
def scale() -> dict:
    path = resources.files("judges.instruments.learned") / "weights" / SCALE_FILE
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError as e:
        raise ScaleError(f"{path}: missing; rebuild with python -m judges.calibration.fit_scale") from e


def percentile(name: str, value: float) -> float:
    """Share of the reference replies that `value` outscores (ties half), 0..1."""
    q = scale().get("quantiles", {}).get(name)
    if not q:
        raise ScaleError(f"{SCALE_FILE} has no quantiles for {name!r}; rebuild with python -m judges.calibration.fit_scale")
    lo, hi = bisect.bisect_left(q, value), bisect.bisect_right(q, value)
    return round((lo + hi) / 2 / len(q), 4)


def criterion_reading(name: str, reply: str, answered: str) -> tuple[float, float]:
    """(raw reading, percentile) of instrument `name` for one reply."""
    if name not in SCORERS:
        raise ScaleError(f"unknown criterion instrument {name!r}; known: {sorted(SCORERS)}")
    raw = SCORERS[name](reply, answered)
    return raw, percentile(name, raw)
