"""Out-of-fold scores for the calibration tables: what a head fitted on a set reaches on items
of that same set it did not see (5 folds, deterministic). In-set figures, never held-out-set ones:
the tables name them "(5-fold CV on this set)".

- PAIR: folds by prompt (all eight replies of a prompt are in one fold), the pair-fit recipe.
- EPITOME, per mechanism: folds by seeker post, a logistic head on that mechanism's own level >= 1
  (the epitome-fit recipe with that mechanism's label).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from judges.instruments.learned.features import features
from judges.calibration.fit_heads import fit_logistic, fit_ridge, pair_training

FOLDS = 5
PAIR_CV = "learned:pair-fit (5-fold CV on this set)"
EPITOME_CV = "learned:epitome-fit (5-fold CV on this set)"


def _folds(groups: np.ndarray, k: int = FOLDS):
    from sklearn.model_selection import GroupKFold

    return GroupKFold(n_splits=k).split(np.zeros(len(groups)), groups=groups)


def pair_oof(items: Sequence) -> np.ndarray:
    """(n_prompts, 8) out-of-fold pair-fit scores in PAIR_REPLIES order."""
    pairs, y, groups = pair_training(items)
    X = features(pairs)
    out = np.full(len(pairs), np.nan)
    if len(items) >= FOLDS:
        for tr, te in _folds(groups):
            coef, b = fit_ridge(X[tr], y[tr])
            out[te] = X[te] @ coef + b
    return out.reshape(len(items), -1)


def epitome_oof(items: Sequence) -> np.ndarray:
    """Out-of-fold log-odds per EPITOME item, the head fitted on the items' own level >= 1."""
    pairs = [(it.response, it.seeker) for it in items]
    y = np.array([int(it.level > 0) for it in items])
    _, groups = np.unique([it.sp_id for it in items], return_inverse=True)
    X = features(pairs)
    out = np.full(len(pairs), np.nan)
    if len(items) >= FOLDS and 0 < y.sum() < len(y):
        for tr, te in _folds(groups):
            if 0 < y[tr].sum() < len(tr):
                coef, b = fit_logistic(X[tr], y[tr])
                out[te] = X[te] @ coef + b
    return out


def oof_scores(name: str, items: Sequence) -> dict[str, np.ndarray]:
    """Extra score arrays for one calibration set (empty for sets with no in-set head)."""
    if name == "pair":
        return {PAIR_CV: pair_oof(items)}
    if name.startswith("epitome/"):
        return {EPITOME_CV: epitome_oof(items)}
    return {}
