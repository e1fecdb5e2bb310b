"""One plan over several worker processes (`run.processes`): one event loop per core.

A single event loop saturates one core: through litellm's OpenAI path each model call costs a
few ms of client CPU, so at high concurrency and short latencies the loop, not the provider,
sets the pace (bench/README.md (a)). Here the conversations still to do are dealt round-robin to
N spawned workers, each running the ordinary runner loop with its share of the concurrency, the
per-model in-flight bound and the tokens-per-minute limit. The parent stays the only writer:
workers send each finished record through a queue as one JSON line and the parent appends it,
so the store's resume and crash-safety guarantees are unchanged. The run budget is shared.

Workers are fresh interpreters (spawn): providers registered in the parent at run time do not
exist there; name plugin modules in EMPATHY_SIM_IMPORT so each worker imports them too.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import queue as queue_mod
from dataclasses import dataclass, field
from typing import Any

from simulator.run.config import RunConfig
from simulator.llm.call import Budget
from simulator.llm.providers import is_embedded
from simulator.core.records import RunKey


def shard_keys(keys: list[RunKey], n: int) -> list[list[RunKey]]:
    """Deal keys round-robin, so every shard gets a similar mix of long and short scenarios."""
    return [s for s in (keys[i::n] for i in range(n)) if s]


def shard_config(cfg: RunConfig, n: int) -> RunConfig:
    """Each worker's share of the job-wide bounds; the totals stay what the user set."""
    run = cfg.run
    tpm = run.tokens_per_minute_per_model
    return cfg.model_copy(update={"run": run.model_copy(update={
        "concurrency": max(1, math.ceil(run.concurrency / n)),
        "max_in_flight_per_model": max(1, math.ceil(run.max_in_flight_per_model / n)),
        "tokens_per_minute_per_model": None if tpm is None else max(1, tpm // n),
        "progress": False, "report": False, "processes": 1,
    })})


def local_roles(cfg: RunConfig) -> list[str]:
    """Roles on the embedded model: each worker would load its own copy, and llama already uses every core."""
    specs = {"persona": cfg.models.persona, "subject": cfg.models.subject}
    if cfg.judge.enabled:
        specs["judge"] = cfg.models.judge
    return [role for role, spec in specs.items() if is_embedded(spec.model)]


class SharedBudget(Budget):
    """The run budget, spent by every worker: two shared doubles under one lock."""

    def __init__(self, max_tokens: int | None, max_cost_usd: float | None, tokens, cost) -> None:
        super().__init__(max_tokens=max_tokens, max_cost_usd=max_cost_usd)
        self._tokens, self._cost = tokens, cost

    def charge(self, usage) -> None:
        with self._tokens.get_lock():
            self._tokens.value += usage.prompt_tokens + usage.completion_tokens
            self._cost.value += usage.cost_usd
            self.spent_tokens, self.spent_cost_usd = int(self._tokens.value), self._cost.value

    def exhausted(self) -> bool:
        self.spent_tokens, self.spent_cost_usd = int(self._tokens.value), self._cost.value
        return super().exhausted()


@dataclass
class ShardOutcome:
    budget_message: str | None = None
    failures: list[str] = field(default_factory=list)  # one line per worker that died or raised


def _worker(index: int, cfg_json: str, keys: list[dict], out: Any, tokens, cost, work) -> None:
    import asyncio

    try:
        from simulator.run.plugins import import_plugins

        import_plugins()
        from simulator.conversation.graph import build_graph
        from simulator.llm.call import BudgetExceeded, shutdown_litellm
        from simulator.llm.gateway import build_gateway

        cfg = RunConfig.model_validate_json(cfg_json)
        gateway = build_gateway(cfg.gateway_settings())
        gateway.budget = SharedBudget(cfg.run.max_tokens_budget, cfg.run.max_cost_usd, tokens, cost)

        def send(record) -> None:
            out.put(("record", record.status, *record.usage_totals(), record.model_dump_json().encode()))

        async def main() -> None:
            try:
                await work([RunKey.model_validate(k) for k in keys], cfg, gateway, build_graph(), send)
            except BudgetExceeded as e:
                out.put(("budget", str(e)))
            finally:
                if gateway.cache is not None:
                    gateway.cache.close()
                await shutdown_litellm()

        asyncio.run(main())
        out.put(("done", index))
    except BaseException as e:  # noqa: BLE001 - report, then die: the parent records the failure
        out.put(("failed", index, f"{type(e).__name__}: {e}"[:500]))
        raise SystemExit(1) from None


def run_sharded(cfg: RunConfig, todo: list[RunKey], on_record, work, *, poll_s: float = 0.5) -> ShardOutcome:
    """Run `todo` over cfg.run.processes workers; on_record(line, status, tokens, cost) per record.
    `work` is the runner's pool loop (passed in, so this module never imports the runner).

    Blocking: call it from a thread. Returns when every worker has finished or died; records a
    dead worker had not sent are simply not written, so the next run retries them.
    """
    ctx = mp.get_context("spawn")  # fork would copy litellm's threads and locks mid-state
    shards = shard_keys(todo, cfg.run.processes)
    sub = shard_config(cfg, len(shards)).model_dump_json()
    out = ctx.Queue()
    tokens, cost = ctx.Value("d", 0.0), ctx.Value("d", 0.0)
    procs = [ctx.Process(target=_worker, name=f"empathy-sim-shard{i}", daemon=True,
                         args=(i, sub, [k.model_dump(mode="json") for k in keys], out, tokens, cost, work))
             for i, keys in enumerate(shards)]
    outcome = ShardOutcome()
    finished: set[int] = set()

    def handle(msg: tuple) -> None:
        if msg[0] == "record":
            on_record(msg[4], msg[1], msg[2], msg[3])
        elif msg[0] == "budget":
            outcome.budget_message = msg[1]
        elif msg[0] == "done":
            finished.add(msg[1])
        elif msg[0] == "failed":
            finished.add(msg[1])
            outcome.failures.append(f"worker {msg[1]}: {msg[2]}")

    for p in procs:
        p.start()
    try:
        while len(finished) < len(procs):
            try:
                handle(out.get(timeout=poll_s))
            except queue_mod.Empty:
                dead = [i for i, p in enumerate(procs) if i not in finished and not p.is_alive()]
                for i in dead:
                    # its last messages may still be in the pipe: read them before giving up on it
                    try:
                        while True:
                            handle(out.get(timeout=poll_s))
                    except queue_mod.Empty:
                        pass
                    if i not in finished:
                        finished.add(i)
                        outcome.failures.append(f"worker {i} exited with code {procs[i].exitcode} before finishing")
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():  # interrupted, or stuck: nothing it holds is lost but its in-flight work
                p.terminate()
                p.join(timeout=5)
    return outcome
