"""PAIR from the embedded model's likelihoods: how much the client's words make the reply likelier.

    PYTHONPATH=. EMPATHY_SIM_THREADS=2 python bench/pmi_probe.py [--n 318] [--model qwen2.5-1.5b]

A reflection restates what the client said, so the client's message should make it far more
probable; generic reassurance and stock advice are about as probable without it. For each reply
r of a PAIR prompt c, the embedded model (raw completion, no chat template) scores every reply
token twice, after the same quoting frame with and without the client's message:

    with:    'A client in counselling said: "<c>"\\nThe counsellor replied: "' + r
    without: 'The counsellor replied: "' + r

Variants, fixed before any figure (2026-12-05): `pmi_mean` = mean over reply tokens of
log P(token | with) - log P(token | without); `pmi_sum` = their sum; `lp_with_mean` = mean log
P(token | with) alone (fluency given the client). Each prefix is evaluated once per prompt and
its KV state reused for the prompt's 7 replies (hq1, hq2, lq1..lq5). Figures: PAIR hq > lq pairwise
accuracy, ties 1/2, on the first --n prompts of calibrate's sample order, with reply length and
the shipped learned head `epitome-fit` (never fitted on PAIR) on the same prompts, and
bootstrap CIs over prompts. Writes bench/results/pmi_probe.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from bench.judge_probes import hq_lq_accuracy
from judges.calibration import datasets as ds
from judges.calibration.metrics import figure

ROOT = Path(__file__).resolve().parents[1]
KEYS = (*ds.PAIR_HIGH, *ds.PAIR_LOW)
WITH = 'A client in counselling said: "{c}"\nThe counsellor replied: "'
WITHOUT = 'The counsellor replied: "'


def _log_softmax(x: np.ndarray) -> np.ndarray:
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


class Scorer:
    def __init__(self, model: str, threads: int) -> None:
        from llama_cpp import Llama

        from simulator.llm.weights import weights_path

        self.llm = Llama(model_path=str(weights_path(model)), n_ctx=1024, logits_all=True, n_threads=threads,
                         n_threads_batch=threads, verbose=False, seed=0)

    def tok(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def reply_logprobs(self, prefix: str, replies: list[str]) -> list[np.ndarray]:
        """Per-token log P of each reply after `prefix`, the prefix evaluated once."""
        llm = self.llm
        p = self.tok(prefix)
        llm.reset()
        llm.eval(p)
        out = []
        for r in replies:
            t = self.tok(r)
            llm.n_tokens = len(p)  # eval() drops the KV cache beyond n_tokens: the prefix is reused
            llm.eval(t)
            logits = np.asarray(llm.scores[len(p) - 1 : len(p) + len(t) - 1], dtype=np.float64)
            out.append(_log_softmax(logits)[np.arange(len(t)), t])
        return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=318)
    ap.add_argument("--model", default="qwen2.5-1.5b")
    ap.add_argument("--prompt-words", type=int, default=200, help="client messages cut to this many words")
    ap.add_argument("--out", default=str(ROOT / "bench/results/pmi_probe.json"))
    args = ap.parse_args()
    data = Path(os.environ.get("EMPATHY_SIM_DATA", ROOT.parent / "shared" / "data"))
    pair = ds.read_pair(data)
    order = ds.sample_order(len(pair), 0, "pair")[: args.n]
    items = [pair[i] for i in order]
    sc = Scorer(args.model, int(os.environ.get("EMPATHY_SIM_THREADS", "2")))
    from judges.instruments.learned.heads import reply_quality

    rows = {k: [] for k in ("pmi_mean", "pmi_sum", "lp_with_mean", "length_words", "head:epitome-fit")}
    t0 = time.perf_counter()
    for n, it in enumerate(items, 1):
        replies = [it.replies[k] for k in KEYS]
        c = " ".join(it.prompt.split()[: args.prompt_words])
        w = sc.reply_logprobs(WITH.format(c=c), replies)
        wo = sc.reply_logprobs(WITHOUT, replies)
        rows["pmi_mean"].append([float((a - b).mean()) for a, b in zip(w, wo)])
        rows["pmi_sum"].append([float((a - b).sum()) for a, b in zip(w, wo)])
        rows["lp_with_mean"].append([float(a.mean()) for a in w])
        rows["length_words"].append([len(r.split()) for r in replies])
        rows["head:epitome-fit"].append([reply_quality(r, it.prompt, head="epitome-fit") for r in replies])
        if n % 10 == 0 or n == len(items):
            acc = {k: round(hq_lq_accuracy(np.asarray(v, float)), 3) for k, v in rows.items()}
            print(f"{n}/{len(items)} prompts, {time.perf_counter() - t0:.0f} s: {acc}", flush=True)
    arrays = {k: np.asarray(v, float) for k, v in rows.items()}
    figs = {k: figure(lambda i, a=a: hq_lq_accuracy(a[i]), len(items), 0, 1000) for k, a in arrays.items()}
    diffs = {k: figure(lambda i, a=a: hq_lq_accuracy(a[i]) - hq_lq_accuracy(arrays["length_words"][i]),
                       len(items), 0, 1000) for k, a in arrays.items() if k != "length_words"}
    out = {"n_prompts": len(items), "model": args.model, "seconds": round(time.perf_counter() - t0, 1),
           "figures": figs, "minus_length": diffs, "raw": rows}
    Path(args.out).write_text(json.dumps(out, indent=1))
    for k in figs:
        print(k, figs[k], diffs.get(k, ""))


if __name__ == "__main__":
    main()
