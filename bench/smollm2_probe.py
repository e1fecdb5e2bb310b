"""A linear probe on the embedded SmolLM2-135M's hidden states instead of MiniLM sentence
embeddings, for the cognitive criterion: fitted on EPITOME, scored on PAIR (never seen).

    PYTHONPATH=. python bench/smollm2_probe.py      # about 27 minutes on 2 cores

Text: "The person said: {post}\\nThe reply: {reply}" (first 1,500 characters), mean-pooled last
hidden layer (llama.cpp embedding mode, pooling 1 = mean). Target and rows: the shipped
`epitome-fit` head's (`fit_heads.epitome_training`: the reply shows an emotional reaction or an
interpretation). Standardised features, logistic regression with C = 1 (fixed, nothing tuned on
PAIR). Prints PAIR hq > lq accuracy on all prompts with reply length beside it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from llama_cpp import Llama
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from bench.judge_probes import hq_lq_accuracy
from judges.calibration import datasets as ds
from judges.calibration.fit_heads import epitome_training
from simulator.llm import weights

KEYS = ("hq1", "hq2", "lq1", "lq2", "lq3", "lq4", "lq5")


def joint(reply: str, post: str) -> str:
    return f"The person said: {post}\nThe reply: {reply}"[:1500]


def main() -> None:
    llm = Llama(str(weights.smollm2_path()), n_ctx=1024, n_threads=2, n_threads_batch=2, embedding=True,
                verbose=False, pooling_type=1)

    def emb(texts: list[str]) -> np.ndarray:
        return np.stack([np.asarray(llm.embed(t), np.float32).reshape(-1) for t in texts])

    data = Path("../shared/data")
    start = time.perf_counter()
    pairs, y = epitome_training(data)
    X = emb([joint(r, c) for r, c in pairs])
    print(f"EPITOME embedded {X.shape}, {time.perf_counter() - start:.0f} s", flush=True)
    scale = StandardScaler().fit(X)
    head = LogisticRegression(C=1.0, max_iter=2000).fit(scale.transform(X), y)
    items = ds.read_pair(data)
    P = emb([joint(it.replies[k], it.prompt) for it in items for k in KEYS])
    s = head.decision_function(scale.transform(P)).reshape(len(items), len(KEYS))
    ln = np.asarray([[len(it.replies[k].split()) for k in KEYS] for it in items], float)
    print(f"PAIR hq>lq, SmolLM2 probe fitted on EPITOME: {hq_lq_accuracy(s):.4f}; reply length "
          f"{hq_lq_accuracy(ln):.4f}; {len(items)} prompts; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
