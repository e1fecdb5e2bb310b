"""Refit the learned heads from the human-labelled data and write weights/*.json.

    python -m judges.calibration.fit_heads [--data DIR] [--out DIR]

Reads ../shared/data at run time (never copies it): PAIR for `pair-fit`, EPITOME for
`epitome-fit`. Deterministic (closed-form ridge; lbfgs logistic from zeros). A couple of minutes
on one core, almost all of it embedding ~6k texts.

- pair-fit: ridge regression (alpha 10), target 1 for the two expert reflections (hq1, hq2),
  0.5 for the medium one (mq1), 0 for the five low-quality ones (lq1..lq5), all 318 prompts.
- epitome-fit: logistic regression (C 0.1), target 1 when the reply shows an emotional reaction
  or an interpretation at level 1-2 (EPITOME's annotators), else 0; all 3,084 replies.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from judges.calibration import datasets as ds
from judges.instruments.learned.features import FEATURES_VERSION, features

PAIR_TARGET = {"hq1": 1.0, "hq2": 1.0, "mq1": 0.5, "lq1": 0.0, "lq2": 0.0, "lq3": 0.0, "lq4": 0.0, "lq5": 0.0}
PAIR_ALPHA = 10.0
EPITOME_C = 0.1
TERMS = {
    "pair-fit": "Fitted on PAIR (Min et al. 2022, 'PAIR: Prompt-Aware margIn Ranking for Counselor "
                "Reflection Scoring in Motivational Interviewing'), research use: these weights are "
                "derived from it and are for research use under the same terms.",
    "epitome-fit": "Fitted on EPITOME, Reddit part (Sharma et al. 2020, EMNLP), academic non-profit "
                   "research use: these weights are derived from it and are for academic, "
                   "non-profit research use under the same terms.",
}


def pair_training(items: Sequence[ds.PairItem]) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray]:
    pairs = [(it.replies[k], it.prompt) for it in items for k in ds.PAIR_REPLIES]
    y = np.array([PAIR_TARGET[k] for _ in items for k in ds.PAIR_REPLIES])
    groups = np.repeat(np.arange(len(items)), len(ds.PAIR_REPLIES))
    return pairs, y, groups


def epitome_training(data_dir: Path) -> tuple[list[tuple[str, str]], np.ndarray]:
    er = ds.read_epitome(data_dir, "emotional_reactions")
    ip = ds.read_epitome(data_dir, "interpretations")
    # The two files list the same replies in the same order, but rp_id is no key: 60 ids repeat
    # (10 of them with different labels), so a lookup by id gave some rows another row's level.
    # Rows are paired by position, checked by id (the texts differ in places: one masks "reddit").
    if len(er) != len(ip) or any(a.rp_id != b.rp_id for a, b in zip(er, ip)):
        raise ds.DatasetError(f"{data_dir}/epitome: the emotional-reactions and interpretations files do not "
                              "list the same replies in the same order (rp_id by position)")
    pairs = [(a.response, a.seeker) for a in er]
    y = np.asarray([int(a.level > 0 or b.level > 0) for a, b in zip(er, ip)])
    return pairs, y


def fit_ridge(X: np.ndarray, y: np.ndarray, alpha: float = PAIR_ALPHA) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import Ridge

    m = Ridge(alpha=alpha).fit(X, y)
    return m.coef_.astype(np.float64), float(m.intercept_)


def fit_logistic(X: np.ndarray, y: np.ndarray, C: float = EPITOME_C) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=C, max_iter=5000).fit(X, y)
    return m.coef_[0].astype(np.float64), float(m.intercept_[0])


def _write(out: Path, name: str, coef: np.ndarray, intercept: float, meta: dict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    body = {"name": name, "features": FEATURES_VERSION, **meta, "terms": TERMS[name],
            "refit": "python -m judges.calibration.fit_heads --data ../shared/data",
            "intercept": round(intercept, 8), "coef": [round(float(c), 8) for c in coef]}
    path = out / f"{name}.json"
    path.write_text(json.dumps(body, indent=1) + "\n", "utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m judges.calibration.fit_heads", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="data directory (default ../shared/data)")
    p.add_argument("--out", default=str(Path(__file__).parents[1] / "instruments" / "learned" / "weights"),
                   help="weights directory (default: the shipped one)")
    args = p.parse_args(argv)
    data_dir = ds.resolve_data_dir(args.data)
    out = Path(args.out)

    pair = ds.read_pair(data_dir)
    pairs, y, _ = pair_training(pair)
    coef, b = fit_ridge(features(pairs), y)
    print("wrote", _write(out, "pair-fit", coef, b, {
        "fitted_on": "pair", "model": f"ridge(alpha={PAIR_ALPHA})",
        "target": "hq1/hq2 = 1, mq1 = 0.5, lq1..lq5 = 0", "n_train": len(pairs),
        "data": str(ds.PAIR_FILE)}))

    pairs, y = epitome_training(data_dir)
    coef, b = fit_logistic(features(pairs), y)
    print("wrote", _write(out, "epitome-fit", coef, b, {
        "fitted_on": "epitome", "model": f"logistic(C={EPITOME_C})",
        "target": "1 if emotional reactions or interpretations level >= 1, else 0",
        "n_train": len(pairs), "positives": int(y.sum()),
        "data": "epitome/emotional-reactions-reddit.csv + interpretations-reddit.csv"}))


if __name__ == "__main__":
    main()
