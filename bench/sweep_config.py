"""The RunConfig the sweep benchmarks and the sweep test use: the real runner, pointed at a server.

N distinct conversations are one persona/scenario pair with seeds 0..N-1. Persona, subject (and
judge, when enabled) are `openai/…` models whose api_base is the loopback server; nothing is
cached and no progress bar is drawn, so every conversation makes its model calls for real.
"""

from __future__ import annotations

import simulator.llm  # noqa: F401  (offline env before litellm import)
from simulator.run.config import RunConfig

PERSONA = "maya_grieving_daughter"
SCENARIO = "grief_missed_last_call"


def sweep_config(
    api_base: str, out_dir: str, *, conversations: int, turns: int, concurrency: int,
    max_in_flight: int | None = None, judge: bool = False, max_tokens: int = 128,
    timeout_s: float = 60.0, retries: int = 3, extra: dict | None = None, seeds: list[int] | None = None,
) -> RunConfig:
    """max_in_flight defaults to concurrency: the per-model bound (default 8) would otherwise cap
    the calls in flight below the conversations in flight and make the sweep measure that bound.
    seeds, when given, replaces range(conversations) (a shard of a larger sweep)."""
    def spec(name: str, temperature: float) -> dict:
        return {"model": f"openai/{name}", "api_base": api_base, "temperature": temperature,
                "max_tokens": max_tokens, "timeout_s": timeout_s, "extra": dict(extra or {})}

    return RunConfig.model_validate({
        "persona": [PERSONA], "scenario": [SCENARIO],
        "seeds": list(seeds) if seeds is not None else list(range(conversations)),
        "max_turns": turns,
        "models": {"persona": spec("loop-persona", 0.7), "subject": spec("loop-subject", 0.7),
                   "judge": spec("loop-judge", 0.0)},
        "judge": {"enabled": judge},
        "run": {"out_dir": out_dir, "name": "sweep", "concurrency": concurrency,
                "max_in_flight_per_model": max_in_flight or concurrency, "retries": retries,
                "backoff_s": 0.0, "cache": False, "progress": False, "report": False, "force": True,
                # the loopback reply echoes the last message, which the persona fidelity check
                # (rightly) flags; benchmarks measure the engine, so no fidelity reruns
                "fidelity_retries": 0, "fidelity_gate": False},
    })


def calls_in_records(run_dir) -> dict:
    """Model calls the records say were made, by role, and conversation outcomes."""
    from simulator.core.store import iter_records

    calls: dict[str, int] = {}
    status: dict[str, int] = {}
    stops: dict[str, int] = {}
    n = 0
    for rec in iter_records(run_dir):
        n += 1
        status[rec.status] = status.get(rec.status, 0) + 1
        stop = rec.conversation.stop_reason or "none"
        stops[stop] = stops.get(stop, 0) + 1
        for role, u in rec.usage.items():
            calls[role] = calls.get(role, 0) + u.calls
    return {"records": n, "calls_by_role": calls, "status": status, "stop_reasons": stops}
