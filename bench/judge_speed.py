"""Judge time per conversation on the embedded model, judge methods side by side on the same
conversations, no call cache, in one process.

    python -m bench.judge_speed [--model local/qwen2.5-1.5b] [--methods prob,hybrid,structured] [--replies 3]

The conversations are the anchor subjects' scripted replies (bench/anchors.py) to the default
suite's grief scenario, with persona lines written out, so every method judges exactly the same
text. Prints seconds per conversation per method and each method's ratio to the first; writes
bench/results/judge_speed.json. Run it on a quiet machine for absolute figures; the ratio holds
under load because both methods run in the same process one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

from bench.anchors import GRIEF
from judges.llm_judges.methods import judge
from simulator.core.card_loader import load_persona, load_scenario
from simulator.llm.call import Gateway, shutdown_litellm
from simulator.core.records import Conversation, ModelSpec, Turn

PERSONA_LINES = [
    "everyone keeps saying i'm doing so well. i went back to work after a week. i can't sleep.",
    "she called me the night before. i was on a late shift and let it go to voicemail.",
    "i keep playing the voicemail. she just said call me back when you can.",
    "part of me is relieved the hospital months are over and i hate myself for it.",
]


def conversation(kind: str, replies: int) -> Conversation:
    turns = []
    for i in range(replies):
        turns.append(Turn(index=2 * i, speaker="persona", text=PERSONA_LINES[i]))
        turns.append(Turn(index=2 * i + 1, speaker="subject", text=GRIEF[kind][i]))
    return Conversation(turns=turns, stop_reason="max_turns")


async def main_async(args) -> dict:
    persona, scenario = load_persona("maya_grieving_daughter"), load_scenario("grief_missed_last_call")
    spec = ModelSpec(model=args.model, temperature=0.0, max_tokens=1200)
    gateway = Gateway(cache=None)
    out: dict = {"model": args.model, "replies": args.replies, "threads": os.environ.get("EMPATHY_SIM_THREADS"),
                 "methods": {}}
    # load the model once outside the timings
    await gateway.complete(spec, [{"role": "user", "content": "hi"}], role="judge", logprobs=1)
    try:
        for method in args.methods.split(","):
            if args.model.startswith("local/"):  # no method inherits another's evaluated contexts
                from simulator.llm.local_provider import local_provider

                local_provider().forget_prefixes()
            times, statuses, calls = [], [], 0
            for kind in ("warm", "cold", "sycophantic"):
                conv = conversation(kind, args.replies)
                t0 = time.perf_counter()
                v = await judge(gateway, spec, persona, scenario, conv, [], method=method)
                times.append(time.perf_counter() - t0)
                statuses.append(v.status)
                calls += v.usage.calls
            out["methods"][method] = {"seconds_per_conversation": [round(t, 1) for t in times],
                                      "mean_s": round(sum(times) / len(times), 1), "status": statuses,
                                      "calls_per_conversation": calls / 3}
            print(method, out["methods"][method], flush=True)
    finally:
        await shutdown_litellm()
    m = out["methods"]
    first, *others = list(m)
    for other in others:  # side by side in one process: the ratio holds under load
        out[f"ratio_{other}_over_{first}"] = round(m[other]["mean_s"] / m[first]["mean_s"], 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="local/qwen2.5-1.5b")
    ap.add_argument("--methods", default="prob,structured")
    ap.add_argument("--replies", type=int, default=3)
    args = ap.parse_args()
    out = asyncio.run(main_async(args))
    path = Path(__file__).parent / "results" / "judge_speed.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
