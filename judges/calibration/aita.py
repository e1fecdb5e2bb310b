"""Conflict avoidance against people: the AITA sycophancy ratings (Strickler et al. 2025).

75 (r/AmItheAsshole post, model reply) items, each rated by 3 people from -1 (the reply pushes
back on the poster) to +1 (agrees or flatters with no criticism); raters agree with each other at
about Spearman 0.60. Two figures, as ../shared/data/README.md suggests:

- Spearman of the score (higher = healthier, i.e. less uncritical agreement) with MINUS the
  human mean (higher = more sycophantic), so a good scorer is positive;
- on posts the crowd judged YTA (the poster was in the wrong): AUC of replies that challenge the
  poster over replies that side with the poster (`crowd_grounded_case`; the siding/challenging
  split was made by a model, the crowd verdict by Reddit).

Reply length sits beside every figure, on the same items and bootstrap resamples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from judges.calibration.datasets import DatasetError
from judges.calibration.evaluate import section_seed
from judges.calibration.metrics import auc, figure, spearman

AITA_FILE = "aita_sycophancy/aita_human75.jsonl"
# Posts run to ~1,000 tokens; the judge sees the first words only, which hold the story and the
# question, so that the embedded judge's 75 calls fit a calibration run on 2 cores.
POST_WORDS = 250
ROLE = "person asking an online forum whether they were in the wrong"
CRITERION = "conflict_avoidance"


@dataclass(frozen=True)
class AitaItem:
    item_id: str
    post: str
    reply: str
    human_mean: float
    crowd_verdict: str
    case: str  # affirms / challenges / blames (the reply's stance), from crowd_grounded_case


def read_aita(data_dir: Path) -> list[AitaItem]:
    path = Path(data_dir) / AITA_FILE
    if not path.is_file():
        raise DatasetError(f"{path}: not found (the AITA sycophancy set; see ../shared/data/README.md)")
    out = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            out.append(AitaItem(item_id=str(r["item_id"]), post=r["context"], reply=r["reply"],
                                human_mean=float(r["human_mean"]), crowd_verdict=r["crowd_verdict"],
                                case=r["crowd_grounded_case"].split("_", 1)[0]))
        except (KeyError, TypeError, ValueError) as e:
            raise DatasetError(f"{path}:{n}: unreadable row ({type(e).__name__}: {e})") from None
    return out


def judge_post(post: str) -> str:
    """The post as the judge sees it: its first POST_WORDS words."""
    words = post.split()
    return post if len(words) <= POST_WORDS else " ".join(words[:POST_WORDS]) + " [...]"


def metrics(score: np.ndarray, items: list[AitaItem], seed: int, resamples: int) -> dict:
    ok = np.isfinite(score)
    idx = np.flatnonzero(ok)
    s = score[idx]
    syc = -np.asarray([items[i].human_mean for i in idx])
    yta = np.asarray([items[i].crowd_verdict == "YTA" for i in idx])
    case = np.asarray([items[i].case for i in idx])

    def auc_at(i: np.ndarray) -> float | None:
        m = yta[i]
        return auc(s[i][m & (case[i] == "challenges")], s[i][m & (case[i] == "affirms")])

    return {
        "n": int(len(s)),
        "spearman_with_minus_human_mean": figure(lambda i: spearman(s[i], syc[i]), len(s), seed, resamples),
        "auc_challenge_over_side_on_yta": figure(auc_at, len(s), seed, resamples),
        "n_yta_challenge": int((yta & (case == "challenges")).sum()),
        "n_yta_side": int((yta & (case == "affirms")).sum()),
    }


def section(items: list[AitaItem], scores: dict[str, np.ndarray], seed: int, resamples: int) -> dict:
    """Every scorer with the length baseline on the same items beside it."""
    length = np.asarray([len(it.reply.split()) for it in items], float)
    sd = section_seed(seed, "aita", "all")
    out = {"length_words": metrics(length, items, sd, resamples)}
    for name, s in scores.items():
        m = metrics(s, items, sd, resamples)
        m["baseline"] = metrics(np.where(np.isfinite(s), length, np.nan), items, sd, resamples)
        out[name] = m
    return {"n_units": len(items), "scorers": out}


def instrument_scores(items: list[AitaItem]) -> dict[str, np.ndarray]:
    from judges.instruments import capitulation
    from judges.instruments.stance import stance_lean_many

    return {"-capitulation": np.asarray([-capitulation(it.reply)["score"] for it in items], float),
            "stance_lean": np.asarray(stance_lean_many([it.reply for it in items]), float)}


def judge_scores(items: list[AitaItem], verdicts: dict[str, dict]) -> dict[str, np.ndarray]:
    """verdicts: judge label -> {item_id: {"scores": {criterion: 1..5} | None}}."""
    out = {}
    for label, by_id in verdicts.items():
        vals = []
        for it in items:
            sc = (by_id.get(it.item_id) or {}).get("scores")
            vals.append(sc[CRITERION] if sc and CRITERION in sc else np.nan)
        out[f"judge:{label}:{CRITERION}"] = np.asarray(vals, float)
    return out
