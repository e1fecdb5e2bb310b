"""Calibration scorers from libraries and learned heads, (reply, context) -> float, higher = more
empathic; registered beside the hand-written instruments in scorers.py.

Scorers that embed text carry a `.batch(pairs)` that embeds all texts in one go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from judges.instruments import affect_libs, embeddings
from judges.instruments.learned import heads

EPITOME = ("emotional_reactions", "interpretations", "explorations")


def _batched(fn: Callable[[Sequence[tuple[str, str]]], np.ndarray]):
    def one(reply: str, context: str) -> float:
        return float(fn([(reply, context)])[0])

    one.batch = lambda pairs: [float(v) for v in fn(list(pairs))]  # type: ignore[attr-defined]
    one.__name__ = fn.__name__
    return one


def _cosines(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    embeddings.warm([t for p in pairs for t in p if t.strip()])
    return np.array([embeddings.semantic_overlap(r, c) for r, c in pairs])


def _specificity(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    return embeddings.embed_specificity_many([r for r, _ in pairs])


def _head(name: str):
    def score(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        return heads.head_score(name, pairs)

    score.__name__ = f"head_{name}"
    return _batched(score)


def vader_compound(reply: str, context: str) -> float:
    return affect_libs.vader_compound(reply)


def vader_pos(reply: str, context: str) -> float:
    return affect_libs.vader_pos(reply)


def nrc_intensity(reply: str, context: str) -> float:
    return affect_libs.nrc_intensity(reply)


AFFECT = {"vader_compound": vader_compound, "vader_pos": vader_pos,
          **({"nrc_intensity": nrc_intensity} if affect_libs.nrc_available() else {})}
HEADS = {f"learned:{h}": _head(h) for h in heads.HEADS}
REPLY_QUALITY = {"semantic_overlap": _batched(_cosines), "embed_specificity": _batched(_specificity), **HEADS}
FITTED_ON: dict[str, tuple[str, ...]] = {"learned:pair-fit": ("pair",), "learned:epitome-fit": EPITOME}
