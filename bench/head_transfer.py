"""Do learned heads fitted on other human sets transfer to PAIR, EPITOME, Welivita & Pu and ESConv?

    python -m bench.head_transfer [--data ../shared/data]

Tried for issue 15 (PAIR >= 0.85 with a scorer not fitted on PAIR) and issue 14 (ESConv success
vs failure from the supporter's replies). Each head is a logistic or ridge regression on the
shipped feature layout (judges/instruments/learned/features.py, MiniLM int8), fitted on one set
and scored on the sets it never saw, with reply length beside every figure:

- esconv-strategy: ESConv supporter turns of the 'tune' half (RealConversation.split), target 1 for
  "Reflection of feelings" / "Restatement or Paraphrasing", 0 for suggestions, information,
  reassurance and "Others" (the supporters' own strategy labels; questions and self-disclosure
  left out). PAIR's low-quality replies are exactly advice and generic reassurance, so this was
  the candidate most likely to transfer.
- welivita-ratings: ridge on the crowd's 1..3 rating of every Welivita & Pu reply.
- epitome-fit: the shipped head (EPITOME emotional reactions or interpretations >= 1).
- welivita-good: logistic (C 0.1) on the same crowd ratings, 3 (Good) vs 1-2.
- joint epitome+welivita: one logistic head (C 0.1) on both sets, the shipped EPITOME target and
  Welivita's rating 3 (2026-12-03).
- mean percentile (epitome-fit, welivita-*): each head's percentile rank over every reply scored
  here, averaged: the two sources combined with nothing fitted (2026-12-03).

Figures: PAIR hq>lq pairwise accuracy (CI by prompt), EPITOME Spearman per mechanism, Welivita
pairwise-in-situation accuracy, and ESConv AUC (successful over failed conversations, 'report'
half, mean head score over the first 5 supporter replies). Writes
bench/results/head_transfer.json. About 15 minutes on one idle core, nearly all of it embedding
~25k texts (vectors are kept in outputs/calibration/.cache/embeddings.npz for reruns).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from bench.judge_probes import hq_lq_accuracy
from judges.calibration import datasets as ds
from judges.calibration.esconv import read_esconv
from judges.calibration.fit_heads import epitome_training
from judges.calibration.metrics import auc, figure
from judges.instruments import embeddings
from judges.instruments.learned.features import features
from judges.instruments.learned.heads import load_head
from judges.instruments.surface import length_words

REFLECT = {"Reflection of feelings", "Restatement or Paraphrasing"}
NOT_REFLECT = {"Providing Suggestions", "Information", "Affirmation and Reassurance", "Others"}
EMBED_CACHE = Path("outputs/calibration/.cache/embeddings.npz")
FIRST = 5  # supporter replies per ESConv conversation, as the persona replay uses


def strategy_turns(data_dir: Path) -> list[tuple[str, str, int]]:
    """(reply, the seeker's words before it, 1 reflect / 0 not) for the ESConv 'tune' half."""
    by_id = {c.id: c for c in read_esconv(data_dir) if c.source == "esconv"}
    out = []
    with (data_dir / "esconv" / "train.jsonl").open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            conv = by_id.get(f"esconv/{i}")
            if conv is None or conv.split() != "tune":
                continue
            seeker, prev = "", None
            for t in json.loads(line)["dialog"]:
                text = " ".join(t["text"].split())
                if t["speaker"] == "usr":
                    seeker = f"{seeker} {text}".strip() if prev == "usr" else text
                elif t.get("strategy") in REFLECT | NOT_REFLECT:
                    out.append((text, seeker, int(t["strategy"] in REFLECT)))
                prev = t["speaker"]
    return out


HQ_LQ = [ds.PAIR_REPLIES.index(k) for k in (*ds.PAIR_HIGH, *ds.PAIR_LOW)]  # mq1 left out


def pair_accuracy(s: np.ndarray, idx: np.ndarray) -> float:
    return hq_lq_accuracy(s.reshape(-1, len(ds.PAIR_REPLIES))[idx][:, HQ_LQ])


def situation_accuracy(s: np.ndarray, y: np.ndarray) -> float:
    s, y = s.reshape(-1, 3), y.reshape(-1, 3)
    hit = tot = 0.0
    for i in range(3):
        for j in range(i + 1, 3):
            m = y[:, i] != y[:, j]
            agree = np.sign(s[m, i] - s[m, j]) * np.sign(y[m, i] - y[m, j])
            hit += (agree > 0).sum() + 0.5 * (agree == 0).sum()
            tot += m.sum()
    return float(hit / tot)


def main(argv: list[str] | None = None) -> None:
    from sklearn.linear_model import LogisticRegression, Ridge

    ap = argparse.ArgumentParser(prog="python -m bench.head_transfer", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None)
    args = ap.parse_args(argv)
    data = ds.resolve_data_dir(args.data)
    embeddings.load_disk_cache(EMBED_CACHE)

    pair = ds.read_pair(data)
    pair_pairs = [(it.replies[k], it.prompt) for it in pair for k in ds.PAIR_REPLIES]
    epi = {m: ds.read_epitome(data, m) for m in ("emotional_reactions", "interpretations", "explorations")}
    epi_pairs = [(it.response, it.seeker) for it in epi["emotional_reactions"]]  # same rows in all three
    wp = ds.read_welivita_pu(data)
    wp_pairs = [(it.replies[k], it.speaker) for it in wp for k in ds.WP_KINDS]
    wp_y = np.array([it.ratings[k] for it in wp for k in ds.WP_KINDS], float)
    report = [c for c in read_esconv(data) if c.split() == "report"]
    es_pairs, owner = [], []
    for i, c in enumerate(report):
        for e in c.exchanges[:FIRST]:
            es_pairs.append((e.supporter, e.seeker))
            owner.append(i)
    owner_arr, failed = np.array(owner), np.array([c.failed for c in report])
    turns = strategy_turns(data)

    X = {name: features(p) for name, p in
         [("pair", pair_pairs), ("epitome", epi_pairs), ("welivita", wp_pairs), ("esconv", es_pairs),
          ("strategy", [(r, c) for r, c, _ in turns])]}
    embeddings.save_disk_cache(EMBED_CACHE)
    lengths = {name: np.array([length_words(r) for r, _ in p], float) for name, p in
               [("pair", pair_pairs), ("epitome", epi_pairs), ("welivita", wp_pairs), ("esconv", es_pairs)]}

    strat = LogisticRegression(C=0.1, max_iter=5000).fit(X["strategy"], [y for *_, y in turns])
    ridge = Ridge(alpha=100.0).fit(X["welivita"], wp_y)
    good = LogisticRegression(C=0.1, max_iter=5000).fit(X["welivita"], (wp_y == 3).astype(int))
    epi_fit_pairs, epi_y = epitome_training(data)  # the shipped head's own target
    assert epi_fit_pairs == epi_pairs, "EPITOME rows no longer line up with the shipped head's training rows"
    joint = LogisticRegression(C=0.1, max_iter=5000).fit(
        np.vstack([X["epitome"], X["welivita"]]), np.concatenate([epi_y, (wp_y == 3).astype(int)]))
    shipped = load_head("epitome-fit")
    scored = ("pair", "epitome", "welivita", "esconv")

    def percentile(coef: np.ndarray):
        every = np.sort(np.concatenate([X[n] @ coef for n in scored]))
        return lambda name: np.searchsorted(every, X[name] @ coef) / len(every)

    p_epi, p_ridge, p_good = percentile(shipped.coef), percentile(ridge.coef_), percentile(good.coef_[0])
    scorers = {
        "length_words (baseline)": lambda name: lengths[name],
        "esconv-strategy": lambda name: X[name] @ strat.coef_[0],
        "welivita-ratings": lambda name: X[name] @ ridge.coef_,
        "welivita-good": lambda name: X[name] @ good.coef_[0],
        "joint epitome+welivita": lambda name: X[name] @ joint.coef_[0],
        "epitome-fit (shipped)": lambda name: X[name] @ shipped.coef,
        "mean percentile (epitome-fit, welivita-ratings)": lambda name: p_epi(name) + p_ridge(name),
        "mean percentile (epitome-fit, welivita-good)": lambda name: p_epi(name) + p_good(name),
    }
    fitted_on = {"esconv-strategy": "esconv", "welivita-ratings": "welivita", "welivita-good": "welivita",
                 "joint epitome+welivita": "epitome+welivita", "epitome-fit (shipped)": "epitome",
                 "mean percentile (epitome-fit, welivita-ratings)": "epitome+welivita",
                 "mean percentile (epitome-fit, welivita-good)": "epitome+welivita"}
    rows = []
    for label, score in scorers.items():
        p = score("pair")
        row = {"scorer": label, "fitted_on": fitted_on.get(label),
               "pair_hq_gt_lq": figure(lambda idx: pair_accuracy(p, idx), len(pair), seed=0)}
        e = score("epitome")
        for m, items in epi.items():
            row[f"epitome_{m}"] = round(float(spearmanr(e, [it.level for it in items])[0]), 4)
        row["welivita_in_situation"] = round(situation_accuracy(score("welivita"), wp_y), 4)
        s = score("esconv")
        conv = np.array([s[owner_arr == i].mean() for i in range(len(report))])
        row["esconv_success_auc"] = auc(conv[~failed], conv[failed])
        rows.append(row)
        print(f"{label:26s} PAIR {row['pair_hq_gt_lq']['value']:.3f} {row['pair_hq_gt_lq']['ci']}  "
              + "  ".join(f"{m[:5]} {row[f'epitome_{m}']:+.3f}" for m in epi)
              + f"  WP {row['welivita_in_situation']:.3f}  ESConv AUC {row['esconv_success_auc']:.3f}")
    out = Path(__file__).parent / "results" / "head_transfer.json"
    out.write_text(json.dumps({"strategy_turns": len(turns), "esconv_report": len(report),
                               "esconv_failed": int(failed.sum()), "rows": rows}, indent=1) + "\n", "utf-8")
    print("wrote", out, "(in-set figures are not held out: read fitted_on)")


if __name__ == "__main__":
    main()
