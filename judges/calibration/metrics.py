"""Agreement metrics with percentile-bootstrap 95% confidence intervals (numpy/scipy only).

Every metric takes plain sequences and returns a float, or None when it is undefined (a
constant score, an empty class). `figure` wraps a statistic over resampling units (items,
prompts, situations) with a seeded local generator, so the same seed gives the same CI.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy.stats import rankdata, spearmanr

RESAMPLES = 1000


def _clean(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation (ties get average ranks); None if either side is constant."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return _clean(spearmanr(x, y).statistic)


def quadratic_weighted_kappa(a: Sequence[int], b: Sequence[int], labels: Sequence[int] | None = None) -> float | None:
    """Cohen's kappa with quadratic weights between two integer labellings of the same items.

    1 = perfect agreement, 0 = chance, negative = worse than chance. `labels` lists the ordered
    categories (values seen are always included). None when there are no items or one category only.
    """
    a, b = np.asarray(a, int), np.asarray(b, int)
    cats = sorted(set(labels or ()) | set(a.tolist()) | set(b.tolist()))
    k, n = len(cats), len(a)
    if n == 0 or k < 2:
        return None
    grid = np.asarray(cats)
    observed = np.bincount(np.searchsorted(grid, a) * k + np.searchsorted(grid, b),
                           minlength=k * k).reshape(k, k).astype(float)
    i, j = np.indices((k, k))
    weights = (i - j) ** 2 / (k - 1) ** 2
    expected = np.outer(observed.sum(1), observed.sum(0)) / n
    denom = (weights * expected).sum()
    if denom == 0:
        return 1.0 if (weights * observed).sum() == 0 else None
    return _clean(1.0 - (weights * observed).sum() / denom)


def quantile_levels(scores: Sequence[float], reference: Sequence[int]) -> np.ndarray:
    """Map continuous scores onto the reference's ordered labels with the reference's marginal
    counts (equipercentile): the lowest n_0 scores get the lowest label, and so on. Tied scores
    always share a label, so counts can differ slightly from the reference's."""
    s = np.asarray(scores, float)
    ref = np.asarray(reference, int)
    labels = np.unique(ref)
    cuts = np.cumsum([int((ref == lab).sum()) for lab in labels])[:-1]
    ordered = np.sort(s)
    thresholds = np.array([ordered[c - 1] if c > 0 else -np.inf for c in cuts])
    return labels[np.searchsorted(thresholds, s, side="left")]


def auc(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """Area under the ROC curve = P(score of a positive > score of a negative), ties counting
    one half (the Mann-Whitney U statistic over n_pos * n_neg). None if a class is empty."""
    p, q = np.asarray(positive, float), np.asarray(negative, float)
    if len(p) == 0 or len(q) == 0:
        return None
    ranks = rankdata(np.concatenate([p, q]))
    u = ranks[: len(p)].sum() - len(p) * (len(p) + 1) / 2
    return _clean(u / (len(p) * len(q)))


def pairwise_accuracy(higher: Sequence[float], lower: Sequence[float]) -> float | None:
    """Share of pairs (higher[i], lower[i]) that a scorer orders like the humans: 1 when the
    should-be-higher item scores higher, 0.5 on a tie, 0 otherwise. None for no pairs."""
    h, low = np.asarray(higher, float), np.asarray(lower, float)
    if len(h) == 0:
        return None
    return _clean(float(np.mean((h > low) + 0.5 * (h == low))))


def paired_auc(after: Sequence[float], before: Sequence[float]) -> float | None:
    """Paired AUC: share of items whose score after a change exceeds its own score before (ties
    one half). Equal to pairwise accuracy with `after` as the should-be-higher side."""
    return pairwise_accuracy(after, before)


def bootstrap_ci(
    stat: Callable[[np.ndarray], float | None], n_units: int, seed: int, resamples: int = RESAMPLES,
) -> list[float] | None:
    """Percentile 95% CI of stat(unit indices) over `resamples` resamples of the units with
    replacement, drawn from a local numpy Generator seeded with `seed`. Resamples where the
    statistic is undefined are dropped; None if fewer than half of them are defined."""
    if n_units < 2 or resamples < 1:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        v = stat(rng.integers(0, n_units, n_units))
        if v is not None and math.isfinite(v):
            values.append(v)
    if len(values) < resamples / 2:
        return None
    lo, hi = np.percentile(values, [2.5, 97.5])
    return [round(float(lo), 4), round(float(hi), 4)]


def figure(stat: Callable[[np.ndarray], float | None], n_units: int, seed: int,
           resamples: int = RESAMPLES) -> dict:
    """{"value", "ci" (95% percentile bootstrap), "n" (resampling units)} for one statistic."""
    value = stat(np.arange(n_units)) if n_units else None
    return {
        "value": None if value is None else round(float(value), 4),
        "ci": bootstrap_ci(stat, n_units, seed, resamples) if value is not None else None,
        "n": n_units,
    }
