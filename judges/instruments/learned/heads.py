"""The shipped learned heads and the runtime reply-quality score.

A head is linear on features.features(): score = X @ coef + intercept (a logistic head's score
is its log-odds: 1 / (1 + exp(-score)) is its probability). Weights live in
weights/<name>.json with what they were fitted on, the data's terms and how to refit them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from judges.instruments.learned.features import DIM, FEATURES_VERSION, features

HEADS = ("pair-fit", "epitome-fit")
# The head behind reply_quality(): see docs/calibration.md, "Library and learned instruments".
RUNTIME_HEAD = "pair-fit"


@dataclass(frozen=True)
class Head:
    name: str
    coef: np.ndarray
    intercept: float
    meta: dict

    def score(self, X: np.ndarray) -> np.ndarray:
        return X @ self.coef + self.intercept


class HeadError(ValueError):
    """A weights file is missing or does not fit this feature layout."""


@lru_cache(maxsize=None)
def load_head(name: str) -> Head:
    if name not in HEADS:
        raise HeadError(f"unknown head {name!r}; known: {HEADS}")
    path = resources.files("judges.instruments.learned") / "weights" / f"{name}.json"
    try:
        meta = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as e:
        raise HeadError(f"{path}: no weights; refit with python -m judges.calibration.fit_heads") from e
    if meta.get("features") != FEATURES_VERSION or len(meta.get("coef", ())) != DIM:
        raise HeadError(f"{path}: fitted for features {meta.get('features')!r}, this code has "
                        f"{FEATURES_VERSION!r}; refit with python -m judges.calibration.fit_heads")
    coef = np.asarray(meta.pop("coef"), np.float64)
    return Head(name, coef, float(meta.pop("intercept")), meta)


def head_score(name: str, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """The head's score of each (reply, context) pair, higher = better reply."""
    return load_head(name).score(features(pairs))


def reply_quality(reply: str, context: str, head: str = RUNTIME_HEAD) -> float:
    """Learned reply quality of `reply` as an answer to `context` (the message it answers).

    Higher = more like the replies people rated better. With the default head (fitted on PAIR:
    expert reflections 1, medium 0.5, generic/advice/off-target 0), scores fall mostly in
    -0.4..1.0 (1st-99th percentile -0.2..0.8 on the three human sets); a ranking score, not a
    probability. An empty reply scores 0.0.
    """
    if not reply.strip():
        return 0.0
    value = float(head_score(head, [(reply, context)])[0])
    return round(value, 6) if math.isfinite(value) else 0.0
