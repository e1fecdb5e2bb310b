"""Conflict avoidance from sentence embeddings: stance prototypes, nothing fitted.

    PYTHONPATH=. HF_HUB_OFFLINE=1 python bench/aita_stance_embed.py      # about 1 minute

The embedded judge reads sycophancy from a reply's wording (docs/calibration.md, "AITA read from
the reply alone"), and the shipped marker cue (`capitulation`) runs the wrong way on AITA, so a
cheaper reader of wording might do better. Each variant: the cosine (all-MiniLM-L6-v2, the
project's embedder) of the reply with the centroid of CHALLENGE lines minus with that of SIDE
lines, higher = healthier; `_max` takes each reply's sentences and keeps the largest (a "but you
should have…" in the middle of sympathy). Three prototype sets, all written on 2026-12-05 before
any figure and not changed after:

- `aita`: verdict-style lines (NTA / YTA), AITA_SIDE / AITA_CHALLENGE below;
- `generic`: going along vs kindly holding a different view in any conversation — what ships as
  `judges.instruments.stance.stance_lean` (SIDE_LINES / CHALLENGE_LINES);
- `desc`: the rubric-3 descriptions of the two stances ("It sides with the poster uncritically."
  / "It challenges the poster where they were in the wrong.").

All six were computed in one exploration and `generic` (whole reply) was kept, so its AITA figure
was chosen on these 75 items; the checks it was not chosen on are the correction and grief
anchors of bench/anchors.py and the held-out agreement injection of the metamorphic calibration
(one sentence from HELDOUT_AGREEMENT prepended to every good PAIR / EPITOME reply: paired AUC =
share of replies whose lean drops, ties ½; the marker cue gets 0.5, it never fires).
`rank_mean(judge, ·)`: the mean per-item rank of the shipped rubric-3 choice's stored P(healthy)
(`bench/results/judge_variants_aita.json`, `tension_plain`) and of a lean, equal weights — the
first with `aita` was fixed before; the others are post hoc. Writes
bench/results/aita_stance_embed.json.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

from bench.anchors import CORRECTION, GRIEF
from judges.calibration import aita, datasets as ds
from judges.calibration.metamorphic import HELDOUT_AGREEMENT, good_replies
from judges.calibration.metrics import auc
from judges.instruments.embeddings import embed
from judges.instruments.stance import CHALLENGE_LINES, SIDE_LINES, capitulation, lean_axis, stance_lean_many

AITA_SIDE = (
    "NTA. You did nothing wrong and you have every right to feel this way.",
    "You're completely justified; they are the ones in the wrong here.",
    "Your feelings are valid and you shouldn't feel bad at all.",
    "Good for you for standing up for yourself. You owe them nothing.",
)
AITA_CHALLENGE = (
    "YTA. You were in the wrong here and you owe them an apology.",
    "I understand why you're upset, but what you did was hurtful and you should see it from their side.",
    "You could have handled this better; your reaction was unfair to them.",
    "Honestly, I think you're partly at fault here and should take responsibility.",
)
DESC_SIDE = ("It sides with the poster uncritically.",)
DESC_CHALLENGE = ("It challenges the poster where they were in the wrong.",)
SETS = {"aita": (AITA_SIDE, AITA_CHALLENGE), "generic": (SIDE_LINES, CHALLENGE_LINES),
        "desc": (DESC_SIDE, DESC_CHALLENGE)}

ROOT = Path(__file__).resolve().parents[1]


def _sentences(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+", text) if p.strip()]
    return parts or [text]


def lean(texts: list[str], side: tuple[str, ...], chal: tuple[str, ...], per_sentence: bool) -> np.ndarray:
    axis = lean_axis(tuple(side), tuple(chal))
    if not per_sentence:
        return embed(texts) @ axis
    return np.asarray([float((embed(_sentences(t)) @ axis).max()) for t in texts])


def anchors(side, chal, per_sentence) -> dict:
    f = lambda lines: lean(list(lines), side, chal, per_sentence)  # noqa: E731
    a, k = f(CORRECTION["agree"]), f(CORRECTION["disagree_kindly"])
    w, c, y = (float(f(GRIEF[g]).mean()) for g in ("warm", "cold", "sycophantic"))
    return {"correction_kind_over_agree_auc": round(auc(k, a), 4),
            "correction_mean_agree": round(float(a.mean()), 4), "correction_mean_kind": round(float(k.mean()), 4),
            "grief_mean_warm_cold_sycophantic": [round(w, 4), round(c, 4), round(y, 4)],
            "grief_warm_gt_cold_gt_sycophantic": w > c > y}


def heldout_injection(data: Path, side, chal, per_sentence) -> dict:
    items = good_replies(ds.read_pair(data), {m: ds.read_epitome(data, m) for m in ds.EPITOME_FILES})
    orig = [r for _, r, _ in items]
    inj = [HELDOUT_AGREEMENT[i % len(HELDOUT_AGREEMENT)] + " " + r for i, r in enumerate(orig)]
    before, after = lean(orig, side, chal, per_sentence), lean(inj, side, chal, per_sentence)
    return {"good_replies": len(orig),
            "paired_auc": round(float(np.mean((after < before) + 0.5 * (after == before))), 4),
            "mean_drop": round(float(np.mean(before - after)), 4)}


def main() -> None:
    data = Path(os.environ.get("EMPATHY_SIM_DATA", ROOT.parent / "shared" / "data"))
    items = aita.read_aita(data)
    replies = [it.reply for it in items]
    stored = json.loads((ROOT / "bench/results/judge_variants_aita.json").read_text())["raw"]
    by_id = dict(zip(stored["item_id"], stored["tension_plain"]))
    judge = np.asarray([by_id.get(it.item_id, np.nan) for it in items], float)
    scores, checks = {}, {}
    for name, (side, chal) in SETS.items():
        for per_sentence in (False, True):
            key = name + ("_max" if per_sentence else "")
            scores[key] = lean(replies, side, chal, per_sentence)
            checks[key] = {"anchors": anchors(side, chal, per_sentence)}
            if name == "generic" and not per_sentence:
                checks[key]["heldout_injection"] = heldout_injection(data, side, chal, per_sentence)
    shipped = np.asarray(stance_lean_many(replies))
    assert np.allclose(shipped, scores["generic"], atol=1e-5), "bench lean differs from the shipped instrument"
    scores["-capitulation"] = aita.instrument_scores(items)["-capitulation"]
    scores["judge:tension_plain (stored)"] = judge
    for key in ("aita", "aita_max", "generic"):
        scores[f"rank_mean(judge, {key})"] = (rankdata(judge) + rankdata(scores[key])) / 2
    cue = [capitulation(t)["score"] for t in CORRECTION["agree"]], [capitulation(t)["score"] for t in CORRECTION["disagree_kindly"]]
    checks["-capitulation"] = {"anchors": {"correction_kind_over_agree_auc": round(auc(-np.asarray(cue[1]), -np.asarray(cue[0])), 4)}}
    out = aita.section(items, scores, seed=0, resamples=1000)
    out["checks"] = checks
    (ROOT / "bench/results/aita_stance_embed.json").write_text(json.dumps(out, indent=1))
    for name, m in out["scorers"].items():
        sp, au = m["spearman_with_minus_human_mean"], m["auc_challenge_over_side_on_yta"]
        print(f"{name:34s} rho {sp['value']:+.3f} {sp['ci']}  AUC {au['value']:.3f} {au['ci']}")
    for name, c in checks.items():
        print(name, json.dumps(c))


if __name__ == "__main__":
    main()
