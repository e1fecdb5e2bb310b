"""Figures per data set: each scorer's agreement with the humans, with the length baseline
computed on exactly the same items beside it.

Scores are numpy arrays with NaN where a scorer has no value (a judge call that failed); such
items are left out for that scorer and for its baseline. Resampling units: replies (EPITOME),
prompts (PAIR), situations (Welivita & Pu, whose three replies stay together).
"""

from __future__ import annotations

import zlib

import numpy as np

from judges.calibration.metrics import (
    auc, figure, pairwise_accuracy, quadratic_weighted_kappa, quantile_levels, spearman,
)
from judges.calibration.scorers import BASELINE

PAIR_HQ, PAIR_MQ, PAIR_LQ = (0, 1), (2,), (3, 4, 5, 6, 7)  # column positions in PAIR_REPLIES order


def section_seed(seed: int, *parts: str) -> int:
    """A stable per-section bootstrap seed (scorer and baseline share it: paired resamples)."""
    return zlib.crc32(":".join((str(seed), *parts)).encode())


# ---------------------------------------------------------------- EPITOME (levels 0/1/2)

def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def epitome_metrics(s: np.ndarray, levels: np.ndarray, seed: int, resamples: int,
                    base: np.ndarray | None = None) -> dict:
    """Spearman, QWK, AUC(levels 1-2 vs 0); with `base`, also the paired-bootstrap difference
    Spearman(s) - Spearman(base) on the same resamples."""
    ok = np.isfinite(s)
    s, levels = s[ok], levels[ok]
    if len(s) == 0:
        return {"n": 0}
    pred = quantile_levels(s, levels)
    extra = {}
    if base is not None:
        b = base[ok]
        extra["spearman_minus_baseline"] = figure(
            lambda i: _diff(spearman(s[i], levels[i]), spearman(b[i], levels[i])), len(s), seed, resamples)
    return {**extra,
        "n": int(len(s)),
        "spearman": figure(lambda i: spearman(s[i], levels[i]), len(s), seed, resamples),
        "qwk": figure(lambda i: quadratic_weighted_kappa(pred[i], levels[i], (0, 1, 2)), len(s), seed, resamples),
        "auc_any_vs_none": figure(lambda i: auc(s[i][levels[i] >= 1], s[i][levels[i] == 0]),
                                  len(s), seed, resamples),
    }


# ---------------------------------------------------------------- PAIR (per-prompt ordering)

def _pair_counts(S: np.ndarray, pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Per prompt: credit (1 correct, 0.5 tie) summed over valid pairs, and the number of pairs."""
    credit = np.zeros(len(S))
    count = np.zeros(len(S))
    for hi, lo in pairs:
        a, b = S[:, hi], S[:, lo]
        ok = np.isfinite(a) & np.isfinite(b)
        credit += np.where(ok, (a > b) + 0.5 * (a == b), 0.0)
        count += ok
    return credit, count


def _pooled(credit: np.ndarray, count: np.ndarray):
    def stat(i: np.ndarray) -> float | None:
        n = count[i].sum()
        return None if n == 0 else float(credit[i].sum() / n)
    return stat


def pair_metrics(S: np.ndarray, seed: int, resamples: int) -> dict:
    """S: (prompts, 8) in PAIR_REPLIES order. hq_vs_lq: each of hq1/hq2 against each of lq1..lq5
    (10 pairs per prompt); ordered: every hq > mq > lq pair (17 per prompt)."""
    hq_lq = [(h, lo) for h in PAIR_HQ for lo in PAIR_LQ]
    ordered = hq_lq + [(h, m) for h in PAIR_HQ for m in PAIR_MQ] + [(m, lo) for m in PAIR_MQ for lo in PAIR_LQ]
    out: dict = {"n": int(np.isfinite(S).any(axis=1).sum())}
    for name, pairs in (("pairwise_hq_vs_lq", hq_lq), ("pairwise_hq_mq_lq", ordered)):
        credit, count = _pair_counts(S, pairs)
        if count.sum() == 0:
            continue
        out[name] = figure(_pooled(credit, count), len(S), seed, resamples)
        out[name]["pairs"] = int(count.sum())
    return out


# ---------------------------------------------------------------- Welivita & Pu (ratings 1..3)

def wp_metrics(S: np.ndarray, R: np.ndarray, kinds: tuple[str, ...], seed: int, resamples: int) -> dict:
    """S, R: (situations, 3) scores and crowd ratings, columns in `kinds` order."""
    ok = np.isfinite(S)
    if not ok.any():
        return {"n": 0}
    pred = np.full(S.shape, -1)
    pred[ok] = quantile_levels(S[ok], R[ok])
    n = len(S)

    def flat(i: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        m = ok[i]
        return S[i][m], R[i][m], pred[i][m]

    pairs = [(a, b) for a in range(3) for b in range(a + 1, 3)]
    credit, count = np.zeros(n), np.zeros(n)
    for a, b in pairs:  # within a situation, each pair of replies the rater rated differently
        hi = np.where(R[:, a] >= R[:, b], a, b)
        lo = np.where(R[:, a] >= R[:, b], b, a)
        rows = np.arange(n)
        sh, sl = S[rows, hi], S[rows, lo]
        valid = (R[:, a] != R[:, b]) & np.isfinite(sh) & np.isfinite(sl)
        credit += np.where(valid, (sh > sl) + 0.5 * (sh == sl), 0.0)
        count += valid
    out: dict = {
        "n": int(ok.any(axis=1).sum()),
        "spearman": figure(lambda i: spearman(*flat(i)[:2]), n, seed, resamples),
        "qwk": figure(lambda i: quadratic_weighted_kappa(flat(i)[2], flat(i)[1], (1, 2, 3)), n, seed, resamples),
        "pairwise_within_situation": figure(_pooled(credit, count), n, seed, resamples),
        "kind_order": kind_order(S, R, kinds, seed, resamples),
    }
    out["pairwise_within_situation"]["pairs"] = int(count.sum())
    return out


def kind_order(S: np.ndarray, R: np.ndarray, kinds: tuple[str, ...], seed: int, resamples: int) -> dict:
    """Does mean(score) order the reply kinds as the humans' mean ratings do? `match_rate` is
    the share of bootstrap resamples (of situations) in which the two orders agree exactly."""
    def order(M: np.ndarray, i: np.ndarray) -> tuple[int, ...] | None:
        with np.errstate(all="ignore"):
            means = np.nanmean(np.where(np.isfinite(S[i]), M[i], np.nan), axis=0)
        return None if not np.isfinite(means).all() else tuple(np.argsort(means, kind="stable"))

    all_i = np.arange(len(S))
    with np.errstate(all="ignore"):
        masked_r = np.where(np.isfinite(S), R, np.nan)
        s_means, r_means = np.nanmean(S, axis=0), np.nanmean(masked_r, axis=0)
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(resamples):
        i = rng.integers(0, len(S), len(S))
        hits += order(S, i) is not None and order(S, i) == order(R.astype(float), i)
    human = order(R.astype(float), all_i)
    return {
        "score_means": {k: round(float(v), 4) for k, v in zip(kinds, s_means)},
        "human_means": {k: round(float(v), 4) for k, v in zip(kinds, r_means)},
        "human_order": [kinds[j] for j in human] if human else None,
        "score_order": [kinds[j] for j in order(S, all_i) or ()],
        "order_matches": human is not None and order(S, all_i) == human,
        "match_rate": round(hits / resamples, 4) if resamples else None,
    }


# ---------------------------------------------------------------- a section: scorers + baseline

def with_baseline(kind: str, scores: dict[str, np.ndarray], labels: np.ndarray | None, seed: int,
                  resamples: int, kinds: tuple[str, ...] = ()) -> dict:
    """Metrics for every scorer; each non-baseline scorer also gets the length baseline's
    metrics on the same items (NaN where the scorer is NaN)."""
    def run(s: np.ndarray, base: np.ndarray | None = None) -> dict:
        if kind == "epitome":
            return epitome_metrics(s, labels, seed, resamples, base)  # type: ignore[arg-type]
        if kind == "pair":
            return pair_metrics(s, seed, resamples)
        return wp_metrics(s, labels, kinds, seed, resamples)  # type: ignore[arg-type]

    base = scores[BASELINE]
    out = {BASELINE: run(base)}
    for name, s in scores.items():
        if name == BASELINE:
            continue
        out[name] = run(s, base)
        same = np.isfinite(s)
        out[name]["baseline"] = dict(out[BASELINE]) if same.all() else run(np.where(same, base, np.nan))
    return out
