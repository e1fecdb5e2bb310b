"""Why the probability judge is slow on a CPU: small prompt batches cost more per token.

    EMPATHY_SIM_THREADS=1 python -m bench.batch_eval [--model qwen2.5-1.5b] [--rounds 2]

The judge asks each criterion as its own ~40-token question after a shared context, so most of
its evaluated tokens arrive in 40-token batches. This evaluates the same 280 tokens after the same
256-token context once as one batch and once as 7 batches of 40, interleaved, and prints the
ratio (> 1: the small batches are dearer per token). Writes bench/results/batch_eval.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from simulator.llm.local_provider import local_provider


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.batch_eval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="qwen2.5-1.5b")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    llama = local_provider()._get(args.model).llama
    text = "The person said something about grief and guilt and the voicemail. " * 80
    toks = llama.tokenize(text.encode())[:536]
    rounds = []
    for _ in range(args.rounds):
        llama.reset()
        llama.eval(toks[:256])
        t = time.perf_counter()
        llama.eval(toks[256:536])
        one = time.perf_counter() - t
        llama.reset()
        llama.eval(toks[:256])
        t = time.perf_counter()
        for k in range(7):
            llama.eval(toks[256 + 40 * k: 296 + 40 * k])
        seven = time.perf_counter() - t
        rounds.append({"one_batch_s": round(one, 2), "seven_batches_s": round(seven, 2),
                       "ratio": round(seven / one, 2)})
        print(f"280 tokens: one batch {one:.2f} s, 7 batches of 40 {seven:.2f} s, ratio {seven / one:.2f}", flush=True)
    out = Path(__file__).parent / "results" / "batch_eval.json"
    out.write_text(json.dumps({"model": args.model, "threads": os.environ.get("EMPATHY_SIM_THREADS"),
                               "load": os.getloadavg()[0], "rounds": rounds}, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
