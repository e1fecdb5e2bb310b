"""Drive DeepEval's ConversationSimulator against the loopback server (runs in DeepEval's own venv).

    <venv>/bin/python bench/peers/drive_deepeval.py --url URL --conversations 50 --turns 6 --concurrency 5

Standalone: imports DeepEval and the OpenAI SDK only, never this project. The simulated user is
DeepEval's default model class (OpenAIModel, structured output) pointed at the server; the chatbot
under test is a model_callback with one shared AsyncOpenAI client, as a user would write it.
With --shared-client the simulator's model also reuses one httpx client (the hand-tuned run).
Prints one JSON line: wall and process CPU seconds around simulate(), and the outcomes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("DEEPEVAL_TELEMETRY_OPT_OUT", "1")   # no network from this process
os.environ.setdefault("DEEPEVAL_GRPC_LOGGING", "0")
os.environ.setdefault("ERROR_REPORTING", "0")
os.environ.setdefault("OPENAI_API_KEY", "not-needed")


def reset_server(url: str) -> None:
    """Zero the loopback server's request counter, so it counts the timed run only."""
    import urllib.request

    base = url[: -len("/v1")] if url.endswith("/v1") else url
    urllib.request.urlopen(urllib.request.Request(base + "/stats/reset", method="POST"), timeout=10).read()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--conversations", type=int, default=50)
    p.add_argument("--turns", type=int, default=6)
    p.add_argument("--concurrency", type=int, default=5)
    p.add_argument("--shared-client", action="store_true")
    ns = p.parse_args(argv)

    import httpx2 as httpx  # the OpenAI SDK 3.x transport (httpx2)
    from deepeval.dataset import ConversationalGolden
    from deepeval.models import OpenAIModel
    from deepeval.simulator import ConversationSimulator
    from deepeval.test_case import Turn
    from openai import AsyncOpenAI

    extra = {"async_http_client": httpx.AsyncClient(limits=httpx.Limits(max_connections=None))} \
        if ns.shared_client else {}
    simulator_model = OpenAIModel(model="gpt-4.1", base_url=ns.url, api_key="not-needed", **extra)
    subject = AsyncOpenAI(base_url=ns.url, api_key="not-needed", max_retries=0)

    async def chatbot(input: str, turns: list, thread_id: str) -> Turn:
        messages = [{"role": "system", "content": "You are a warm, attentive friend."}]
        messages += [{"role": t.role, "content": t.content} for t in turns]
        r = await subject.chat.completions.create(model="loop-subject", messages=messages,
                                                  temperature=0.7, max_tokens=128)
        return Turn(role="assistant", content=r.choices[0].message.content or "")

    goldens = [ConversationalGolden(
        scenario="Maya's father died last week; she missed his last phone call and cannot stop thinking about it.",
        user_description=f"Maya, 34, grieving daughter, guarded, dry humour (seed {i})",
    ) for i in range(ns.conversations)]
    sim = ConversationSimulator(model_callback=chatbot, simulator_model=simulator_model,
                                max_concurrent=ns.concurrency, async_mode=True)
    # warm-up (lazy imports, first client): one short conversation, then zero the server's counter
    sim.simulate(conversational_goldens=goldens[:1], max_user_simulations=1)
    reset_server(ns.url)
    t0, c0 = time.perf_counter(), time.process_time()
    cases = sim.simulate(conversational_goldens=goldens, max_user_simulations=ns.turns)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    turns = [len(c.turns) for c in cases]
    print(json.dumps({"peer": "deepeval", "wall_s": wall, "cpu_s": cpu, "conversations": len(cases),
                      "turns_per_conversation": sum(turns) / max(1, len(turns))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
