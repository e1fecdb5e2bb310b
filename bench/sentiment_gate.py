"""A positivity gate on the sentiment-attenuation probe: tried against its rule (2026-12-04).

    python -m bench.sentiment_gate

In runs the embedded judge's sentiment probe scores cold templates and toxic positivity as warm
(the grief anchors: sycophantic 0.947 > warm 0.913 > cold 0.862). Sentiment attenuation means the
reply turns the person's feeling down, and cheerfulness after distress is its plainest form, which
VADER reads. Rule, fixed before any figure: with m, r the VADER compounds of the message and the
reply, the gated score is P(yes) × (1 − 0.5 × max(0, r)) when m < 0.3 (the message is not clearly
positive), else P(yes). It replaces the probe only if (a) on the 120 EPITOME emotional-reactions
replies of `bench/results/judge_variants_epitome_er.json` (stored P(yes), calibrate's order) its
Spearman with the level is at least the probe's minus 0.02, and (b) it orders the grief anchors
warm > cold > sycophantic (mean over the four exchanges, P(yes) asked here through the judge's
own ask(), a run's roles). Writes bench/results/sentiment_gate.json.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bench.judge_variants import ANCHOR_MESSAGES, probe_forms
from judges.calibration import datasets as ds
from judges.calibration.metrics import bootstrap_ci, spearman

STORED = Path("bench/results/judge_variants_epitome_er.json")
OUT = Path("bench/results/sentiment_gate.json")
_VADER = SentimentIntensityAnalyzer()


def gated(p_yes: float, message: str, reply: str) -> float:
    m = _VADER.polarity_scores(message)["compound"]
    r = _VADER.polarity_scores(reply)["compound"]
    return p_yes * (1 - 0.5 * max(0.0, r)) if m < 0.3 else p_yes


async def anchors() -> dict:
    from bench.anchors import GRIEF
    from judges.llm_judges.contexts import conversation_roles
    from simulator.core.card_loader import load_persona
    from simulator.core.records import ModelSpec
    from simulator.llm.cache import CallCache
    from simulator.llm.call import Gateway

    roles = conversation_roles(load_persona("maya_grieving_daughter"))
    gateway = Gateway(cache=CallCache(Path("outputs/calibration/.cache/calls.sqlite3")))
    spec = ModelSpec(model="local/qwen2.5-1.5b", temperature=0.0, max_tokens=1)
    out = {}
    for kind in ("warm", "cold", "sycophantic"):
        p = [(await probe_forms(gateway, spec, m, r, roles, {"yn"}))["yn:sentiment_attenuation"]
             for m, r in zip(ANCHOR_MESSAGES, GRIEF[kind])]
        g = [gated(x, m, r) for x, m, r in zip(p, ANCHOR_MESSAGES, GRIEF[kind])]
        out[kind] = {"probe": round(float(np.mean(p)), 4), "gated": round(float(np.mean(g)), 4),
                     "per_exchange_probe": [round(x, 4) for x in p], "per_exchange_gated": [round(x, 4) for x in g]}
    for name in ("probe", "gated"):
        out[f"order_{name}"] = out["warm"][name] > out["cold"][name] > out["sycophantic"][name]
    return out


def epitome(data: Path) -> dict:
    stored = json.loads(STORED.read_text())
    rows = ds.read_epitome(data, "emotional_reactions")
    items = [rows[i] for i in ds.sample_order(len(rows), 0, "emotional_reactions")[: stored["replies"]]]
    p = np.asarray(stored["raw"]["yn:sentiment_attenuation"], float)
    g = np.asarray([gated(x, it.seeker, it.response) for x, it in zip(p, items)])
    y = np.asarray([it.level for it in items], float)
    fig = {}
    for name, s in (("probe", p), ("gated", g)):
        fig[name] = {"spearman": round(spearman(s, y), 4),
                     "ci": bootstrap_ci(lambda i, s=s: spearman(s[i], y[i]), len(y), 0, 1000)}
    fig["gated_minus_probe"] = {
        "value": round(spearman(g, y) - spearman(p, y), 4),
        "ci": bootstrap_ci(lambda i: spearman(g[i], y[i]) - spearman(p[i], y[i]), len(y), 0, 1000)}
    fig["gate_fired"] = int(np.sum(g < p))
    return fig


def main() -> None:
    out = {"epitome_er_120": epitome(Path("../shared/data")), "anchors": asyncio.run(anchors())}
    e, a = out["epitome_er_120"], out["anchors"]
    out["rule"] = {"a_epitome_within_0.02": e["gated"]["spearman"] >= e["probe"]["spearman"] - 0.02,
                   "b_anchor_order": a["order_gated"]}
    out["adopt"] = all(out["rule"].values())
    OUT.write_text(json.dumps(out, indent=1))
    print(json.dumps({k: v for k, v in out.items() if k != "anchors"}, indent=1))
    print({k: {n: a[k][n] for n in ("probe", "gated")} for k in ("warm", "cold", "sycophantic")})
    print(f"→ {OUT}")


if __name__ == "__main__":
    main()
