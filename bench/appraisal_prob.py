"""Probability-scored persona appraisal against real seekers (issue 14 items 3-4): the embedded
model is asked, as the seeded seeker, one-token yes/no questions about each real supporter reply,
and P(yes) is read from the answer distribution (as the prob judge does) instead of asking for
JSON deltas, which on Qwen2.5-1.5B came out as a binary -10/+10 with trust copying understood.

    PYTHONPATH=. EMPATHY_SIM_THREADS=2 python bench/appraisal_prob.py [--n 98] [--k 3]

Sample: `esconv_replay.stratified_sample` over conversations with at least k replies, all 98
FailedESConv conversations each paired with an ESConv one of the same emotion_type. Per reply i
(first k): a plain-words message in the seeker's voice (situation, the seeded feeling, the
seeker's message just before the reply, the reply) and two questions fixed before measuring:
"Did that reply make you feel understood?" (yes = healthy) and "Did that reply brush you off or
miss what you said?" (yes = failure). Per reply P(healthy) = mean of the two; per conversation
the mean over its k replies.

Leak control: the seeker's message before reply i > 0 is the seeker's reaction to reply i - 1,
so the same questions are asked with the reply replaced by a fixed "I see." (`generic`); the
reply's own contribution is `lift` = P(real reply) - P(generic reply) for the same context.

Figures: AUC success vs failed with bootstrap CI, on all rows and on the report half, beside mean
reply length and the deterministic appraisal's final felt-understood on the same sample; the
paired AUC difference against length; Spearman with the seeker's empathy rating (ESConv only).
Nothing is fitted. Writes bench/results/appraisal_prob.json. Calls go through the Gateway with the
call cache, so a rerun is fast.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from judges.calibration.esconv import read_esconv, seeded_persona  # noqa: E402
from judges.calibration.metrics import auc, figure, spearman  # noqa: E402
from judges.llm_judges.answers import TOP_LOGPROBS, read_yes_no  # noqa: E402
from judges.llm_judges.contexts import quote  # noqa: E402
from simulator.conversation import esconv_replay as rp  # noqa: E402
from simulator.core.records import ModelSpec  # noqa: E402
from simulator.llm.cache import CallCache  # noqa: E402
from simulator.llm.call import Gateway  # noqa: E402

GENERIC = "I see."
PROBES = (("Did that reply make you feel understood?", "healthy"),
          ("Did that reply brush you off or miss what you said?", "failure"))


def context(conv, i: int, reply: str) -> str:
    persona, scenario = seeded_persona(conv)
    feel = " and ".join(e.replace("_", " ") for e in persona.emotional_arc.starting_emotions)
    ex = conv.exchanges[i]
    said = ex.seeker or conv.exchanges[0].seeker
    return (f"You are a person who came to an online emotional-support chat. What happened to you: "
            f"{quote(scenario.situation)} You feel {feel}.\n\n"
            f"You just wrote: {quote(said[-600:])}\n\n"
            f"The supporter replied: {quote(reply[:800])}\n\n"
            "Answer as yourself, honestly.")


async def p_healthy(gateway: Gateway, spec: ModelSpec, text: str) -> list[float]:
    out = []
    for ask, yes_means in PROBES:
        msgs = [{"role": "user", "content": text}, {"role": "user", "content": f"{ask} Answer yes or no."}]
        comp = await gateway.complete(spec, msgs, role="persona", logprobs=TOP_LOGPROBS)
        p = read_yes_no(comp.top_logprobs or []).p_yes
        out.append(p if yes_means == "healthy" else 1.0 - p)
    return out


async def score_all(sample, k: int, gateway: Gateway, spec: ModelSpec) -> list[dict]:
    rows = []
    bar = tqdm(total=len(sample) * k, desc="replies", unit="reply")
    for conv in sample:
        real, gen = [], []
        for i, ex in enumerate(conv.exchanges[:k]):
            real.append(await p_healthy(gateway, spec, context(conv, i, ex.supporter)))
            gen.append(await p_healthy(gateway, spec, context(conv, i, GENERIC)))
            bar.update(1)
        rows.append({"id": conv.id, "failed": conv.failed, "empathy": conv.empathy, "split": conv.split(),
                     "real": real, "generic": gen})
    bar.close()
    return rows


def figures(rows: list[dict], scores: dict[str, np.ndarray], seed: int = 0) -> dict:
    ok = np.asarray([not r["failed"] for r in rows])
    emp = np.asarray([r["empathy"] if r["empathy"] is not None else np.nan for r in rows], float)
    n = len(rows)
    out = {"n": n, "n_success": int(ok.sum()), "n_failed": int((~ok).sum()), "auc": {}, "rho_empathy_esconv": {}}

    def auc_of(s):
        return lambda idx: auc(s[idx][ok[idx]], s[idx][~ok[idx]])

    def rho_of(s):
        def stat(idx):
            m = ok[idx] & ~np.isnan(emp[idx])
            return spearman(s[idx][m], emp[idx][m])
        return stat

    for name, s in scores.items():
        out["auc"][name] = figure(auc_of(s), n, seed, 1000)
        out["rho_empathy_esconv"][name] = figure(rho_of(s), n, seed, 1000)
    for name in scores:
        if name != "length":
            out.setdefault("auc_minus_length", {})[name] = figure(
                lambda idx, a=auc_of(scores[name]), b=auc_of(scores["length"]):
                    None if (x := a(idx)) is None or (y := b(idx)) is None else x - y, n, seed, 1000)
    return out


def show(f: dict) -> str:
    if f["value"] is None:
        return "n/a"
    ci = f"[{f['ci'][0]:.3f}, {f['ci'][1]:.3f}]" if f["ci"] else "[no CI]"
    return f"{f['value']:.3f} {ci}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--n", type=int, default=98, help="failed conversations (each with a matched successful one)")
    ap.add_argument("--k", type=int, default=3, help="replies per conversation")
    ap.add_argument("--model", default="local/qwen2.5-1.5b")
    ap.add_argument("--cache", default="outputs/calibration/.cache/calls.sqlite3")
    ap.add_argument("--out", default="bench/results/appraisal_prob.json")
    args = ap.parse_args()

    convs = [c for c in read_esconv(Path(args.data)) if len(c.exchanges) >= args.k]
    sample = rp.stratified_sample(convs, n_success=args.n, seed=0, n_failed=args.n)
    Path(args.cache).parent.mkdir(parents=True, exist_ok=True)
    gateway = Gateway(cache=CallCache(Path(args.cache)))
    spec = ModelSpec(model=args.model, temperature=0.0, max_tokens=1)
    t0 = time.perf_counter()
    rows = asyncio.run(score_all(sample, args.k, gateway, spec))
    wall = time.perf_counter() - t0

    det = rp.replay_all(sample, "deterministic", args.k)
    real = np.asarray([np.mean(r["real"]) for r in rows])
    gen = np.asarray([np.mean(r["generic"]) for r in rows])
    scores = {
        "prob_real": real,
        "prob_understood_only": np.asarray([np.mean([p[0] for p in r["real"]]) for r in rows]),
        "prob_brushoff_only": np.asarray([np.mean([p[1] for p in r["real"]]) for r in rows]),
        "prob_generic (control)": gen,
        "lift (real - generic)": real - gen,
        "deterministic understood": np.asarray([d.final("understood") for d in det], float),
        "length": np.asarray([rp.reply_words(c, args.k) for c in sample]),
    }
    report_idx = np.asarray([r["split"] == "report" for r in rows])
    out = {"k": args.k, "model": args.model, "wall_s": round(wall, 1), "probes": PROBES, "generic": GENERIC,
           "all": figures(rows, scores),
           "report": figures([r for r, m in zip(rows, report_idx) if m], {k: v[report_idx] for k, v in scores.items()}),
           "rows": rows}
    Path(args.out).write_text(json.dumps(out, indent=1))
    for split in ("all", "report"):
        f = out[split]
        print(f"\n{split}: n={f['n']} ({f['n_success']} success, {f['n_failed']} failed)")
        for name in scores:
            a, r = f["auc"][name], f["rho_empathy_esconv"][name]
            d = f.get("auc_minus_length", {}).get(name)
            print(f"  {name:28s} AUC {show(a)}" + (f"  -length {show(d)}" if d else "")
                  + f"  rho(empathy, ESConv) {show(r)}")
    print(f"\nwall {wall:.0f} s")


if __name__ == "__main__":
    main()
