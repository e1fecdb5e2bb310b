"""Wall time of embedded-model calls with the repeatable prefix reuse on vs off, side by side.

    python -m bench.prefix_reuse [--model qwen2.5-1.5b --items 6 --max-tokens 120]

The calls are the calibration judge's (judges.calibration.judge): one rubric prompt (~1,300
tokens) per (message, reply) pair, the shape of every judge call, whose rubric prefix repeats.
Each item is judged with the cache on and with it off (llama.prefix = None: plain reset and full
prompt evaluation), in alternating order; the first call with the cache on pays the cold
evaluation and is reported apart. Also counts how often both modes gave the same text: they
evaluate the prompt in different batch splits, so the last bits of the logits may differ.
"""

from __future__ import annotations

import argparse
import statistics
import time

import simulator.llm  # noqa: F401  (offline env before litellm import)
from bench import report
from judges.calibration.judge import response_schema, single_reply_prompt
from judges.llm_judges.rubric import load_rubric
from simulator.llm.local_provider import local_provider
from simulator.llm.prefix_cache import PrefixStates

ITEMS = [
    ("My dad died last month and I still set the table for him.", "That sounds so painful. Setting his place must bring it all back every evening."),
    ("I failed my bar exam for the second time. I feel like a fraud.", "Lots of people fail. Just study harder next time."),
    ("My best friend stopped answering my texts and I don't know why.", "Have you tried calling her? Communication is key in any relationship."),
    ("I got the job! After eight months of rejections.", "Eight months of that and you kept going. How does it feel to finally hear yes?"),
    ("I yelled at my kid today and I can't stop thinking about it.", "It is important to regulate emotions when parenting."),
    ("Everyone says I'm doing well since the divorce but I'm not.", "It sounds lonely to be told you're fine when you aren't. What is the hardest part right now?"),
    ("My startup ran out of money and I had to let everyone go.", "Business failures are common and provide valuable learning experiences."),
    ("I moved abroad and I eat lunch alone every day.", "Being surrounded by people and still eating alone every day can feel so isolating."),
]


def one(model: str, messages: list[dict], schema: dict, max_tokens: int) -> tuple[str, float, int]:
    t0 = time.perf_counter()
    out = local_provider().generate(model, messages, {"temperature": 0.0, "max_tokens": max_tokens, "seed": 0,
                                                      "response_format": schema})
    return out["choices"][0]["message"]["content"], time.perf_counter() - t0, out["usage"]["prompt_tokens"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.prefix_reuse", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="qwen2.5-1.5b")
    p.add_argument("--items", type=int, default=6)
    p.add_argument("--max-tokens", type=int, default=120)
    p.add_argument("--out", default=None, help="JSON path (default bench/results/prefix_reuse.json)")
    ns = p.parse_args(argv)
    rubric = load_rubric()
    schema = response_schema(rubric)
    llama = local_provider()._get(ns.model).llama
    states = PrefixStates(llama)
    rows = []
    for i, (context, reply) in enumerate(ITEMS[: ns.items]):
        messages = single_reply_prompt(rubric, context, reply, "seeker on a peer-support forum")
        order = ("on", "off") if i % 2 == 0 else ("off", "on")
        texts = {}
        for mode in order:
            llama.prefix = states if mode == "on" else None
            text, wall, prompt_tokens = one(ns.model, messages, schema, ns.max_tokens)
            texts[mode] = text
            rows.append({"item": i, "mode": mode, "cold": mode == "on" and states.hits == 0,
                         "prompt_tokens": prompt_tokens, "wall_s": wall})
        rows[-1]["same_text"] = rows[-2]["same_text"] = texts["on"] == texts["off"]
    llama.prefix = states
    print(report.table(rows, ["item", "mode", "cold", "prompt_tokens", "wall_s", "same_text"]))
    on = [r["wall_s"] for r in rows if r["mode"] == "on" and not r["cold"]]
    off = [r["wall_s"] for r in rows if r["mode"] == "off"]
    ratio = statistics.median(on) / statistics.median(off)
    same = sum(r["same_text"] for r in rows if r["mode"] == "on")
    print(f"median wall per call: on (warm) {statistics.median(on):.2f} s, off {statistics.median(off):.2f} s; "
          f"ratio {ratio:.3f}; same text in {same}/{len(off)} items")
    path = report.write("prefix_reuse", {"model": ns.model, "max_tokens": ns.max_tokens, "chunk": states.chunk,
                                         "median_on_warm_s": statistics.median(on), "median_off_s": statistics.median(off),
                                         "ratio_on_to_off": ratio, "same_text": same, "items": len(off),
                                         "rows": rows}, ns.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
