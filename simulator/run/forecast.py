"""What a run or sweep will cost before it runs: calls, tokens and dollars per role, and wall time.

Calls and tokens per conversation come from simulator.run.estimate (its ASSUMPTIONS apply). Dollars
come from litellm's price table (0 for the embedded and other in-process models; `None`, shown as
"unpriced", for a model the table does not know). Wall time is the largest of these bounds, each
a pure function of the numbers above and the run options:

- concurrency: `run.concurrency` workers take conversations from the plan in order (as
  runner.run_pool does); a conversation's calls run one after another, each taking its role's
  latency, the client CPU per call, and its wait for the one event loop while the other calls use
  it (M/D/1). Simulated with a heap; the loop's busy share is solved by fixed-point iteration.
- in flight, per model endpoint: at most `run.max_in_flight_per_model` calls at once (the
  embedded model serves one call at a time behind its lock), so calls × (latency + client CPU,
  which a call spends inside its slot) ÷ bound.
- tokens per minute, per remote endpoint: the limiter's bucket starts full with one minute's
  allowance, so (tokens − allowance) ÷ (allowance / 60 s).
- client CPU: calls × CPU per call ÷ `run.processes` (one event loop per process).

A job's wall time is its start-up (`start_s`, given) plus the largest bound. A sweep's jobs run on
`workers` workers (the Hydra launcher's: 1 for the basic one, n_jobs for
joblib, the Ray cluster's task slots), longest first onto the least loaded worker.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from simulator.run.estimate import ASSUMPTIONS, ConversationEstimate, RoleCalls
from simulator.core.records import ModelSpec


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoleForecast(Strict):
    role: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None = Field(description="None: the model is not in litellm's price table")


class Bound(Strict):
    name: str
    seconds: float


class JobForecast(Strict):
    job: str = Field(description="the job's overrides")
    conversations: int
    roles: list[RoleForecast]
    bounds: list[Bound]
    start_s: float = Field(0.0, description="fixed start-up before the first call (process, imports, plan, graph)")

    @property
    def calls(self) -> int:
        return sum(r.calls for r in self.roles)

    @property
    def tokens(self) -> int:
        return sum(r.prompt_tokens + r.completion_tokens for r in self.roles)

    @property
    def cost_usd(self) -> float:
        return sum(r.cost_usd or 0.0 for r in self.roles)

    @property
    def wall_s(self) -> float:
        return self.start_s + max((b.seconds for b in self.bounds), default=0.0)

    @property
    def limited_by(self) -> str:
        return max(self.bounds, key=lambda b: b.seconds).name if self.bounds else "-"


class SweepForecast(Strict):
    jobs: list[JobForecast]
    workers: int = 1
    latency_s: dict[str, float]
    client_cpu_ms: float
    fill: float
    job_start_s: float = 0.0
    assumptions: list[str] = list(ASSUMPTIONS)

    @property
    def conversations(self) -> int:
        return sum(j.conversations for j in self.jobs)

    @property
    def wall_s(self) -> float:
        return makespan([j.wall_s for j in self.jobs], self.workers)

    def role_totals(self) -> list[RoleForecast]:
        """Per role over every job (a role's model may differ between jobs: then 'various')."""
        out: dict[str, RoleForecast] = {}
        for j in self.jobs:
            for r in j.roles:
                if r.role not in out:
                    out[r.role] = r.model_copy()
                    continue
                t = out[r.role]
                out[r.role] = RoleForecast(
                    role=r.role, model=t.model if t.model == r.model else "various",
                    calls=t.calls + r.calls, prompt_tokens=t.prompt_tokens + r.prompt_tokens,
                    completion_tokens=t.completion_tokens + r.completion_tokens,
                    cost_usd=None if t.cost_usd is None or r.cost_usd is None else t.cost_usd + r.cost_usd)
        return list(out.values())


# ------------------------------------------------------------------ pure arithmetic


def makespan(durations: Sequence[float], workers: int, in_order: bool = False) -> float:
    """Finish time of `durations` on `workers` identical workers, each taking the next task as
    it frees up: in the given order (in_order: the runner's shared iterator) or longest first."""
    if not durations:
        return 0.0
    tasks = list(durations) if in_order else sorted(durations, reverse=True)
    free = [0.0] * min(max(1, workers), len(tasks))
    heapq.heapify(free)
    end = 0.0
    for d in tasks:
        t = heapq.heappop(free) + d
        end = max(end, t)
        heapq.heappush(free, t)
    return end


def chain_seconds(est: ConversationEstimate, latency_s: dict[str, float], cpu_s: float) -> float:
    """One conversation's critical path: its sequential calls, each latency + client CPU."""
    return sum(n * (role_latency(latency_s, role) + cpu_s) for role, n in est.chain.items())


def role_latency(latency_s: dict[str, float], role: str) -> float:
    """`judge1`, `judge2` (panel judges) fall back to `judge`, everything to `default`."""
    for name in (role, role.rstrip("0123456789"), "default"):
        if name in latency_s:
            return latency_s[name]
    raise KeyError(f"no latency for role {role!r} (give --latency-s, or --latency {role}=SECONDS)")


def loop_wait(cpu_s: float, busy: float) -> float:
    """Mean wait of a call's CPU work for the others ahead of it on the one event loop (M/D/1,
    the loop busy `busy` of the time): nothing when it is idle, growing fast as it fills."""
    rho = min(max(busy, 0.0), 0.95)
    return cpu_s * rho / (2 * (1 - rho))


def concurrency_seconds(estimates: Sequence[ConversationEstimate], latency_s: dict[str, float],
                        concurrency: int, cpu_s: float, loop_cpu_s: float) -> float:
    """The workers' makespan, each call taking latency + CPU + the wait for the event loop, whose
    busy share (loop_cpu_s ÷ wall) depends on the wall itself: solved by fixed-point iteration."""
    wall = makespan([chain_seconds(e, latency_s, cpu_s) for e in estimates], concurrency, in_order=True)
    for _ in range(50):
        wait = loop_wait(cpu_s, loop_cpu_s / wall) if wall > 0 else 0.0
        new = makespan([chain_seconds(e, latency_s, cpu_s + wait) for e in estimates], concurrency, in_order=True)
        if abs(new - wall) <= 1e-6 * max(wall, 1e-9):
            return new
        wall = (wall + new) / 2  # damped: the wait falls as the wall grows
    return wall


def endpoint(spec: ModelSpec) -> str:
    """The key the Gateway bounds calls by (one lock per embedded model, whatever api_base)."""
    from simulator.llm.providers import is_embedded

    return spec.model if is_embedded(spec.model) else f"{spec.model}@{spec.api_base or ''}"


def job_bounds(estimates: Sequence[ConversationEstimate], specs: dict[str, ModelSpec], *,
               latency_s: dict[str, float], concurrency: int, max_in_flight: int,
               tokens_per_minute: int | None, processes: int, client_cpu_ms: float) -> list[Bound]:
    """The wall-time bounds of one job whose conversations are `estimates`, in plan order.
    specs: role -> model spec (persona, subject, judge, judge1, …)."""
    from simulator.llm.providers import is_embedded

    cpu = client_cpu_ms / 1000.0
    remote = all(not is_embedded(s.model) for s in specs.values())
    calls = sum(e.calls for e in estimates)
    bounds = [Bound(name=f"concurrency {concurrency}",
                    seconds=concurrency_seconds(estimates, latency_s, concurrency, cpu,
                                                calls * cpu / max(1, processes) if remote else 0.0))]
    busy: dict[str, float] = {}
    tokens: dict[str, int] = {}
    held = cpu if remote else 0.0  # a remote call holds its slot through litellm's own CPU work too
    for e in estimates:
        for role, rc in e.roles.items():
            key = endpoint(specs[role])
            busy[key] = busy.get(key, 0.0) + rc.calls * (role_latency(latency_s, role) + held)
            tokens[key] = tokens.get(key, 0) + rc.tokens
    embedded = {endpoint(s) for s in specs.values() if is_embedded(s.model)}
    for key, seconds in busy.items():
        bound = 1 if key in embedded else max_in_flight
        bounds.append(Bound(name=f"in flight {bound} on {key.rstrip('@')}", seconds=seconds / bound))
        if tokens_per_minute and key not in embedded:
            wait = max(0, tokens[key] - tokens_per_minute) / (tokens_per_minute / 60.0)
            bounds.append(Bound(name=f"{tokens_per_minute:,} tokens/min on {key.rstrip('@')}", seconds=wait))
    if cpu and remote:  # the embedded model's time is its latency; its client CPU is in there
        bounds.append(Bound(name=f"client CPU ({processes} process{'es' if processes > 1 else ''})",
                            seconds=calls * cpu / max(1, processes)))
    return bounds


def price(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """USD from litellm's price table; 0 for in-process models; None when the table lacks it."""
    from simulator.llm.providers import is_in_process

    if is_in_process(model) or (prompt_tokens == 0 and completion_tokens == 0):
        return 0.0
    import litellm

    try:
        p, c = litellm.cost_per_token(model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
    except Exception:  # litellm raises for a model it has no price for
        return None
    return float(p) + float(c)


def role_forecasts(totals: dict[str, RoleCalls]) -> list[RoleForecast]:
    return [RoleForecast(role=role, model=rc.model, calls=rc.calls, prompt_tokens=rc.prompt_tokens,
                         completion_tokens=rc.completion_tokens,
                         cost_usd=price(rc.model, rc.prompt_tokens, rc.completion_tokens))
            for role, rc in totals.items()]


def sum_roles(estimates: Iterable[ConversationEstimate]) -> dict[str, RoleCalls]:
    """Role totals; identical estimates (one per persona × scenario) are added once, times n."""
    groups: dict[int, list] = {}
    for e in estimates:
        groups.setdefault(id(e), [e, 0])[1] += 1
    totals: dict[str, RoleCalls] = {}
    for e, n in groups.values():
        for role, rc in e.roles.items():
            totals[role] = (totals[role] if role in totals else RoleCalls(model=rc.model)).plus(rc, n)
    return totals


# ------------------------------------------------------------------ from a config


def forecast_job(cfg, job: str, *, latency_s: dict[str, float], fill: float = 1.0,
                 client_cpu_ms: float = 0.0, start_s: float = 0.0) -> JobForecast:
    """The forecast of one job (one RunConfig): every planned conversation, none skipped."""
    from simulator.run.config import plan
    from simulator.run.estimate import estimate_key, shape_json
    from simulator.run.config import judge_specs

    keys = plan(cfg)
    shape = shape_json(cfg)
    estimates = [estimate_key(cfg, k, fill, shape) for k in keys]
    specs = {"persona": cfg.models.persona, "subject": cfg.models.subject}
    if cfg.judge.enabled:
        specs.update({f"judge{i or ''}": s for i, s in enumerate(judge_specs(cfg))})
    run = cfg.run
    bounds = job_bounds(estimates, specs, latency_s=latency_s, concurrency=run.concurrency,
                        max_in_flight=run.max_in_flight_per_model,
                        tokens_per_minute=run.tokens_per_minute_per_model, processes=run.processes,
                        client_cpu_ms=client_cpu_ms)
    return JobForecast(job=job, conversations=len(keys), roles=role_forecasts(sum_roles(estimates)),
                       bounds=bounds, start_s=start_s)
