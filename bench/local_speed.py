"""Tokens/second of the embedded `local/` provider through Gateway.complete vs llama-cpp directly.

    python -m bench.local_speed [--model smollm2-135m --reps 6 --max-tokens 128]
    python -m bench.local_speed --model qwen2.5-1.5b --reps 2      # slower; run once

Both paths use the same loaded Llama object (simulator.llm.local_provider.local_provider()._get),
the same prompt, max_tokens, temperature 0 and seed, and the same llama.reset() before each call
(the provider resets the KV cache for reproducibility, so the direct path does too). Reps are
interleaved A/B/A/B (B/A first on odd reps). tokens/s = completion tokens ÷ wall seconds of the
call. Target: gateway ÷ direct ≥ 0.95.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import simulator.llm  # noqa: F401  (offline env before litellm import)
from bench import report
from simulator.llm.call import Gateway, shutdown_litellm
from simulator.llm.local_provider import local_provider
from simulator.core.records import ModelSpec

TARGET = 0.95
PROMPT = [
    {"role": "system", "content": "You are a warm friend. Reply in a few sentences."},
    {"role": "user", "content": "can't sleep again. everyone keeps saying i'm 'doing so well' lol. "
                                "i went back to work after one week because home was worse."},
]


def direct(name: str, max_tokens: int, seed: int) -> tuple[int, float]:
    loaded = local_provider()._get(name)
    with loaded.lock:
        t0 = time.perf_counter()
        loaded.llama.reset()
        out = loaded.llama.create_chat_completion(messages=PROMPT, max_tokens=max_tokens, temperature=0.0,
                                                  seed=seed)
        wall = time.perf_counter() - t0
    return int(out["usage"]["completion_tokens"]), wall


async def via_gateway(gateway: Gateway, spec: ModelSpec, seed: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    comp = await gateway.complete(spec, PROMPT, role="subject", seed=seed)
    return comp.usage.completion_tokens, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.local_speed", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="smollm2-135m")
    p.add_argument("--reps", type=int, default=6)
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="JSON path (default bench/results/local_speed[_<model>].json)")
    ns = p.parse_args(argv)
    t0 = time.perf_counter()
    local_provider()._get(ns.model)  # load once; both paths reuse these weights
    load_s = time.perf_counter() - t0
    gateway = Gateway(cache=None, retries=0)
    spec = ModelSpec(model=f"local/{ns.model}", temperature=0.0, max_tokens=ns.max_tokens, timeout_s=3600)

    async def run() -> list[dict]:
        rows = []
        try:
            await via_gateway(gateway, spec, ns.seed)  # warm-up: first call pays litellm set-up
            direct(ns.model, ns.max_tokens, ns.seed)
            for rep in range(ns.reps):
                order = ("gateway", "direct") if rep % 2 == 0 else ("direct", "gateway")
                for path in order:
                    if path == "gateway":
                        tokens, wall = await via_gateway(gateway, spec, ns.seed)
                    else:
                        tokens, wall = direct(ns.model, ns.max_tokens, ns.seed)
                    rows.append({"rep": rep, "path": path, "tokens": tokens, "wall_s": wall,
                                 "tokens_per_s": tokens / wall if wall else 0.0})
        finally:
            await shutdown_litellm()
        return rows

    rows = asyncio.run(run())
    print(report.table(rows, ["rep", "path", "tokens", "wall_s", "tokens_per_s"]))
    tps = {path: [r["tokens_per_s"] for r in rows if r["path"] == path] for path in ("gateway", "direct")}
    med = {path: statistics.median(v) for path, v in tps.items()}
    pair_ratios = [g["tokens_per_s"] / d["tokens_per_s"] for g, d in zip(
        [r for r in rows if r["path"] == "gateway"], [r for r in rows if r["path"] == "direct"])]
    ratio = med["gateway"] / med["direct"]
    overhead_ms = 1000 * (statistics.median(r["wall_s"] for r in rows if r["path"] == "gateway")
                          - statistics.median(r["wall_s"] for r in rows if r["path"] == "direct"))
    ok = ratio >= TARGET
    print(f"median tokens/s: gateway {med['gateway']:.1f}, direct {med['direct']:.1f}; ratio {ratio:.3f} "
          f"(per-rep ratios {', '.join(f'{x:.3f}' for x in pair_ratios)}); "
          f"median extra wall per call {overhead_ms:.1f} ms; load {load_s:.1f} s")
    print(f"target ratio ≥ {TARGET}: {'met' if ok else 'NOT met'}")
    name = "local_speed" if ns.model == "smollm2-135m" else f"local_speed_{ns.model}"
    path = report.write(name, {"model": ns.model, "max_tokens": ns.max_tokens, "target": TARGET, "target_met": ok,
                               "median_tokens_per_s": med, "ratio": ratio, "pair_ratios": pair_ratios,
                               "median_extra_wall_ms": overhead_ms, "load_s": load_s, "rows": rows}, ns.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
