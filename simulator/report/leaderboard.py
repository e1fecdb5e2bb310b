"""Pairwise leaderboard: a Bradley–Terry rating per subject model from pairwise verdicts.

Input: `pairwise.jsonl` in a sweep or run dir (written by `empathy-sim pairwise SWEEP_DIR`), one
PairVerdict per conversation pair (same persona × scenario × seed, two subject models), with the
judge's raw per-criterion choice in both orders. Pure functions; no model calls.

- Outcome of a pair: the share of criteria A won (ties count half) in each order, averaged over
  both orders. A judge that always picks the first slot therefore scores every pair 0.5 (a tie).
- Fit: Bradley–Terry as a logistic model, maximised with scipy's BFGS, with an L2 penalty
  (variance C=10) so a model that wins every pair still gets a finite rating: logit P(A beats B)
  = r_A - r_B + beta * log(words_A / words_B), fitted to the fractional outcomes. Ratings are log-odds, centred on 0 by the
  penalty; a difference of 1 means a 73% expected win at equal length.
- Length control: the beta term. `rating` is the length-adjusted strength (what a model wins at
  equal mean reply length), `unadjusted` the same fit without the length term; `length_coef` says
  how much the judge paid for length. Where length and model are confounded (one model is always
  longer), the two cannot be separated and the penalty splits the credit: compare the two ratings.
- Intervals: percentile bootstrap over conversation keys (persona × scenario × seed, every model
  pair of a key resampled together), fixed seed.
- Position bias: over every (pair, criterion) judged in both orders, `flip_rate` is the share whose
  winner (in model terms, tie included) changed with the order; `first_slot_share` is the share of
  single-order choices that named a side which named the side shown first (0.5 = no bias).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Literal

import orjson
from pydantic import BaseModel, Field

PAIRWISE = "pairwise.jsonl"
C_PENALTY = 10.0
RESAMPLES = 300
SEED = 0
Choice = Literal["1", "2", "tie"]


class PairVerdict(BaseModel):
    """One conversation pair judged in both orders; `forward` showed A first, `backward` B first."""

    key: str = Field(description="persona|scenario|seed, the same for both conversations")
    task_type: str
    a: str = Field(description="subject model A")
    b: str = Field(description="subject model B")
    forward: dict[str, Choice]
    backward: dict[str, Choice]
    a_words: float = Field(ge=0, description="A's mean reply length in words")
    b_words: float = Field(ge=0)


class Rating(BaseModel):
    model: str
    rating: float = Field(description="length-adjusted Bradley–Terry log-strength, centred on 0")
    ci95: list[float] | None = Field(description="bootstrap percentile interval of `rating`")
    unadjusted: float = Field(description="the same fit without the length term")
    pairs: int
    wins: int
    losses: int
    ties: int


class PositionBias(BaseModel):
    verdicts: int = Field(description="(pair, criterion) judged in both orders")
    flips: int
    flip_rate: float | None
    first_slot_share: float | None


class Board(BaseModel):
    pairs: int
    ratings: list[Rating] = Field(description="best first")
    length_coef: float | None = Field(description="log-odds per unit log length ratio (e = 2.7x longer)")
    position_bias: PositionBias


class Leaderboard(BaseModel):
    judge: str | None
    criteria: list[str]
    method: str
    resamples: int
    seed: int
    judge_validity: dict
    overall: Board
    by_task_type: dict[str, Board]


METHOD = ("Bradley–Terry logistic fit (scipy BFGS, L2 penalty C=10) with a log length-ratio term; "
          "pair outcome = share of criteria won, ties half, averaged over both orders; 95% percentile "
          "bootstrap over conversation keys")


def outcome(v: PairVerdict) -> float:
    """A's score in [0, 1]: share of criteria won (ties half) per order, averaged over both orders."""
    def share(choices: dict[str, str], a_slot: str) -> float:
        pts = [1.0 if c == a_slot else 0.5 if c == "tie" else 0.0 for c in choices.values()]
        return sum(pts) / len(pts) if pts else 0.5

    return (share(v.forward, "1") + share(v.backward, "2")) / 2


def position_bias(verdicts: list[PairVerdict]) -> PositionBias:
    to_model_fwd, to_model_bwd = {"1": "A", "2": "B", "tie": "tie"}, {"1": "B", "2": "A", "tie": "tie"}
    n = flips = 0
    slots: list[str] = []
    for v in verdicts:
        for c, f in v.forward.items():
            if c not in v.backward:
                continue
            b = v.backward[c]
            n += 1
            flips += to_model_fwd[f] != to_model_bwd[b]
            slots += [s for s in (f, b) if s != "tie"]
    return PositionBias(verdicts=n, flips=flips, flip_rate=round(flips / n, 3) if n else None,
                        first_slot_share=round(slots.count("1") / len(slots), 3) if slots else None)


def _design(verdicts: list[PairVerdict], models: list[str], length: bool):
    """(X, s): one row per pair, +1 for A, -1 for B, then log length ratio; s = A's outcome."""
    import numpy as np  # numpy and scipy load only when there is a leaderboard to fit

    idx = {m: i for i, m in enumerate(models)}
    X = np.zeros((len(verdicts), len(models) + length))
    for r, v in enumerate(verdicts):
        X[r, idx[v.a]], X[r, idx[v.b]] = 1.0, -1.0
        if length:
            X[r, -1] = np.log((1 + v.a_words) / (1 + v.b_words))
    return X, np.array([outcome(v) for v in verdicts])


def _loss(beta, X, s):
    """Penalised negative log-likelihood of fractional outcomes, and its gradient."""
    import numpy as np
    from scipy.special import expit

    z = X @ beta
    nll = float(np.sum(np.logaddexp(0, -z) * s + np.logaddexp(0, z) * (1 - s)))
    grad = X.T @ (expit(z) - s)
    return nll + beta @ beta / (2 * C_PENALTY), grad + beta / C_PENALTY


def _fit_rows(X, s, n_models: int, x0=None):
    """x0: a starting point (the full-data fit, for bootstrap resamples: fewer iterations)."""
    import numpy as np
    from scipy.optimize import minimize

    res = minimize(_loss, np.zeros(X.shape[1]) if x0 is None else x0, args=(X, s), jac=True, method="BFGS")
    if not res.success and np.abs(res.jac).max() > 1e-4:  # BFGS may stop on precision at the optimum
        raise RuntimeError(f"leaderboard fit did not converge: {res.message}")
    ratings = res.x[:n_models]
    return ratings - ratings.mean(), (float(res.x[-1]) if X.shape[1] > n_models else None), res.x


def fit(verdicts: list[PairVerdict], models: list[str], length: bool = True):
    """(ratings in `models` order, centred on 0; length coefficient or None)."""
    return _fit_rows(*_design(verdicts, models, length), len(models))[:2]


def board(verdicts: list[PairVerdict], resamples: int = RESAMPLES, seed: int = SEED) -> Board:
    import numpy as np

    models = sorted({v.a for v in verdicts} | {v.b for v in verdicts})
    X, s = _design(verdicts, models, length=True)
    ratings, beta, full = _fit_rows(X, s, len(models))
    plain, _ = fit(verdicts, models, length=False)
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, v in enumerate(verdicts):
        by_key[v.key].append(i)
    rows_of = [np.array(by_key[k]) for k in sorted(by_key)]
    boots = []
    if len(rows_of) >= 2:
        rng = np.random.default_rng(seed)
        for _ in range(resamples):
            rows = np.concatenate([rows_of[k] for k in rng.integers(len(rows_of), size=len(rows_of))])
            boots.append(_fit_rows(X[rows], s[rows], len(models), x0=full)[0])
    lo, hi = (np.percentile(np.array(boots), [2.5, 97.5], axis=0) if boots else (None, None))
    rows = []
    for i, m in enumerate(models):
        mine = [(outcome(v) if v.a == m else 1 - outcome(v)) for v in verdicts if m in (v.a, v.b)]
        rows.append(Rating(model=m, rating=round(float(ratings[i]), 3), unadjusted=round(float(plain[i]), 3),
                           ci95=None if lo is None else [round(float(lo[i]), 3), round(float(hi[i]), 3)],
                           pairs=len(mine), wins=sum(s > 0.5 for s in mine), losses=sum(s < 0.5 for s in mine),
                           ties=sum(s == 0.5 for s in mine)))
    rows.sort(key=lambda r: -r.rating)
    return Board(pairs=len(verdicts), ratings=rows, length_coef=None if beta is None else round(beta, 3),
                 position_bias=position_bias(verdicts))


def pairwise_validity(judge: str | None) -> dict:
    """The pairwise judge's measured agreement with people, if validity.json holds one."""
    from simulator.core.validity import load

    figs = {k: v for k, v in load().get("judges", {}).items()
            if judge and k.startswith(f"{judge}|pairwise|")}
    if figs:
        return {"status": "calibrated", "figures": figs}
    return {"status": "uncalibrated",
            "why": "simulator/core/validity.json holds no figure for a pairwise judge against human preferences"}


def leaderboard(verdicts: list[PairVerdict], judge: str | None = None, resamples: int = RESAMPLES,
                seed: int = SEED) -> Leaderboard | None:
    if not verdicts:
        return None
    groups: dict[str, list[PairVerdict]] = defaultdict(list)
    for v in verdicts:
        groups[v.task_type].append(v)
    criteria = sorted({c for v in verdicts for c in v.forward})
    return Leaderboard(judge=judge, criteria=criteria, method=METHOD, resamples=resamples, seed=seed,
                       judge_validity=pairwise_validity(judge), overall=board(verdicts, resamples, seed),
                       by_task_type={t: board(vs, resamples, seed) for t, vs in sorted(groups.items())})


def read_verdicts(path: Path) -> tuple[str | None, list[PairVerdict]]:
    """(judge model, verdicts) from <dir>/pairwise.jsonl; the first line is a header {"judge": ...}."""
    p = Path(path) / PAIRWISE
    if not p.exists():
        return None, []
    judge, out = None, []
    for n, line in enumerate(p.read_bytes().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
            if "judge" in row and "key" not in row:
                judge = row["judge"]
            else:
                out.append(PairVerdict.model_validate(row))
        except ValueError as e:
            raise ValueError(f"{p}:{n}: not a pairwise verdict: {e}") from None
    return judge, out


FLIP_DISTRUST = 0.5  # a judge whose verdict follows the order this often mostly measures position


def attach(summary: dict, path: Path) -> dict:
    """Add summary["leaderboard"] when the dir holds pairwise verdicts (else leave it out), and a
    distrust line when the pairwise judge's verdicts mostly follow the order."""
    judge, verdicts = read_verdicts(path)
    lb = leaderboard(verdicts, judge)
    if lb is None:
        return summary
    summary["leaderboard"] = lb.model_dump()
    pb = lb.overall.position_bias
    if pb.flip_rate is not None and pb.flip_rate >= FLIP_DISTRUST:
        first = "" if pb.first_slot_share is None else f"; it chose the side shown first {pb.first_slot_share:.0%} of the time"
        summary.setdefault("distrust", []).append(
            f"the pairwise judge {judge} changed its verdict when the order was swapped in {pb.flip_rate:.0%} of "
            f"criterion verdicts{first}: the leaderboard measures its position bias more than the models")
    return summary
