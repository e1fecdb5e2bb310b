"""Drive sotopia's episode loop against the loopback server (runs in sotopia's own venv).

    <venv>/bin/python bench/peers/drive_sotopia.py --url URL --conversations 50 --turns 6 --concurrency 5

Standalone: imports sotopia only, never this project. Two LLMAgents (model "custom/…@URL", which
sotopia sends through litellm to the server) talk round-robin in a ParallelSotopiaEnv that stops
after 2 × turns agent turns (RuleBasedTerminatedEvaluator); no end-of-episode scoring, nothing saved.
Episodes run as asyncio tasks, at most --concurrency at a time (sotopia's own run_async_server
gathers a batch unbounded; the semaphore makes the concurrency the same as for the others).
Prints one JSON line: wall and process CPU seconds around the episodes, and the outcomes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

os.environ.setdefault("SOTOPIA_STORAGE_BACKEND", "local")   # no redis: profiles live in memory
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("CUSTOM_API_KEY", "not-needed")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drive_deepeval import reset_server  # noqa: E402  (stdlib only)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--conversations", type=int, default=50)
    p.add_argument("--turns", type=int, default=6)
    p.add_argument("--concurrency", type=int, default=5)
    ns = p.parse_args(argv)

    import logging

    logging.disable(logging.INFO)  # sotopia logs every generated turn; keep the output to the result
    from sotopia.agents import LLMAgent
    from sotopia.database import AgentProfile, EnvironmentProfile
    from sotopia.envs import ParallelSotopiaEnv
    from sotopia.envs.evaluators import Evaluator, RuleBasedTerminatedEvaluator
    from sotopia.server import arun_one_episode

    class NoEpisodeScore(Evaluator):
        """The terminal slot sotopia requires, without its end-of-episode LLM scoring call
        (the other runs in this benchmark do no scoring either)."""
        prompt = ""

        def __call__(self, turn_number, messages):
            return []

        async def __acall__(self, turn_number, messages):
            return []

    model = f"custom/loop@{ns.url}"
    maya = AgentProfile(first_name="Maya", last_name="Okafor", age=34, occupation="teacher",
                        personality_and_values="guarded, dry humour")
    friend = AgentProfile(first_name="Sam", last_name="Reyes", age=35, occupation="nurse",
                          personality_and_values="warm, attentive")
    env_profile = EnvironmentProfile(
        scenario="Maya's father died last week; she missed his last phone call. She talks to her friend Sam.",
        agent_goals=["Be heard without being fixed.", "Support Maya without rushing her."])

    async def episode(sem: asyncio.Semaphore) -> int:
        async with sem:
            env = ParallelSotopiaEnv(env_profile=env_profile, model_name=model, action_order="round-robin",
                                     evaluators=[RuleBasedTerminatedEvaluator(max_turn_number=2 * ns.turns,
                                                                              max_stale_turn=2 * ns.turns)],
                                     terminal_evaluators=[NoEpisodeScore()])
            agents = [LLMAgent(agent_profile=maya, model_name=model),
                      LLMAgent(agent_profile=friend, model_name=model)]
            messages = await arun_one_episode(env, agents)
            return len(messages)

    async def run(n: int) -> list[int]:
        sem = asyncio.Semaphore(ns.concurrency)
        return list(await asyncio.gather(*[episode(sem) for _ in range(n)]))

    async def timed():
        await run(1)             # warm-up (lazy imports, litellm's first client)
        reset_server(ns.url)     # the server counts the timed episodes only
        t0, c0 = time.perf_counter(), time.process_time()
        out = await run(ns.conversations)
        return out, time.perf_counter() - t0, time.process_time() - c0

    lengths, wall, cpu = asyncio.run(_then_stop_litellm(timed()))
    print(json.dumps({"peer": "sotopia", "wall_s": wall, "cpu_s": cpu, "conversations": len(lengths),
                      "messages_per_conversation": sum(lengths) / max(1, len(lengths))}), flush=True)
    return 0


async def _then_stop_litellm(coro):
    """Run coro, then stop litellm's background logging worker: left running, asyncio.run's
    shutdown can wait on it for minutes (seen at concurrency 50)."""
    try:
        return await coro
    finally:
        try:
            from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER

            await GLOBAL_LOGGING_WORKER.stop(discard_pending=True, timeout=2)
        except Exception:  # noqa: BLE001 - best effort, other litellm versions lack it
            pass


if __name__ == "__main__":
    sys.exit(main())
