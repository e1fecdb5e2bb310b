"""Run a plan: conversations concurrently under bounds, judged, each written as one record.

A conversation that fails (after retries at the call site) is written as an error record and
retried on the next run; a persona turn that breaks character is re-sampled a bounded number of
times, and a persona that still cannot stay in character makes the record a (never scored) persona
error; a spent budget stops the run cleanly (the conversation it cut off is written as a budget-stop
error record) and the same command resumes it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tqdm import tqdm

from simulator import __version__
from simulator.conversation.appraisal import initial_state
from simulator.core.card_loader import load_persona, load_scenario
from judges.seam import FinishedConversation
from simulator.run.config import RunConfig, judge_specs, plan
from simulator.run.progress import Progress
from simulator.run.scoring import instrument_scorers, judge_scorers, score_conversation
from simulator.conversation.graph import ConvContext, all_fallback_error, build_graph, recursion_limit, stop_reason
from simulator.llm.call import BudgetExceeded, Gateway, missing_key, shutdown_litellm
from simulator.llm.gateway import build_gateway
from simulator.llm.usage_scope import call_listener, usage_scope
from simulator.conversation.persona_turn import resolve_form
from simulator.core.records import (
    Conversation, ErrorInfo, JudgeVerdict, PersonaState, RunKey, RunRecord, Usage,
)
from simulator.core.store import RunStore, now_iso


class PreflightError(ValueError):
    pass


@lru_cache(maxsize=1)
def code_version() -> str:
    import subprocess

    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
            capture_output=True, text=True, timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{__version__}+{sha}" if sha else __version__


def preflight(cfg: RunConfig) -> list[str]:
    """Fail before any work for a remote model with no key; return warnings to show the user."""
    roles = [("persona", cfg.models.persona), ("subject", cfg.models.subject)]
    if cfg.judge.enabled:
        roles += [("judge", s) for s in judge_specs(cfg)]
    for role, spec in roles:
        var = missing_key(spec)
        if var:
            raise PreflightError(f"models.{role}: {spec.model} needs the environment variable {var}, which is not set")
    warnings = []
    if cfg.judge.enabled and any(s.model == cfg.models.subject.model for s in judge_specs(cfg)):
        warnings.append(
            f"judge and subject are the same model ({cfg.models.subject.model}); verdicts are marked "
            "same_model_as_subject. Set models.judge.model to judge with another model."
        )
    return warnings




async def converse(ctx: ConvContext, max_turns: int, graph) -> tuple[Conversation, list[PersonaState]]:
    """One conversation. A persona turn that breaks character is re-sampled inside the persona
    node (ctx.persona_resamples); one that cannot be repaired ends it as a persona error."""
    init = {
        "turns": [], "states": [initial_state(ctx.persona, ctx.scenario)], "replies": 0,
        "max_turns": max_turns, "fidelity": [], "persona_resamples": 0, "persona_fallbacks": 0,
    }
    state = await graph.ainvoke(init, config={
        "recursion_limit": recursion_limit(max_turns), "configurable": {"ctx": ctx},
    })
    # in the authored mode every turn after the opening is authored by design, not a failure
    if (ctx.persona_form != "authored" and not state.get("error")
            and (err := all_fallback_error(state["turns"]))):
        state["error"] = err
    conv = Conversation(
        turns=state["turns"], stop_reason=stop_reason(state) or "max_turns",
        error=state.get("error"), fidelity_issues=state.get("fidelity", []),
        persona_resamples=state.get("persona_resamples", 0),
        persona_fallbacks=state.get("persona_fallbacks", 0),
    )
    return conv, state["states"]


def run_scorers(cfg: RunConfig, gateway: Gateway) -> list:
    """Every instrument family, then each judge of the panel (when judging is on)."""
    judges = judge_scorers(gateway, judge_specs(cfg), method=cfg.judge.method, rubric_id=cfg.judge.rubric,
                           structured=cfg.judge.structured) if cfg.judge.enabled else []
    return instrument_scorers() + judges


def conversation_context(cfg: RunConfig, key: RunKey, gateway: Gateway) -> ConvContext:
    """What the conversation graph needs for one planned conversation (also used by the
    inspect_ai solver, simulator/integrations/inspect_task.py)."""
    persona, scenario = load_persona(key.persona), load_scenario(key.scenario)
    return ConvContext(persona=persona, scenario=scenario, gateway=gateway,
                       persona_spec=cfg.models.persona, subject_spec=cfg.models.subject,
                       subject_system=cfg.subject_system_prompt, seed=key.seed,
                       max_tokens=cfg.run.max_tokens_per_conversation,
                       persona_form=resolve_form(cfg.run.persona_form, cfg.models.persona.model,
                                                 persona, scenario, cfg.max_turns),
                       persona_resamples=cfg.run.fidelity_retries,
                       fidelity_gate=cfg.run.fidelity_gate,
                       persona_candidates=cfg.run.persona_candidates,
                       in_character_scorer=cfg.run.in_character_scorer,
                       persona_fallback=cfg.run.persona_fallback,
                       persona_examples=cfg.run.persona_examples,
                       appraisal=cfg.persona_appraisal)


async def run_key(key: RunKey, cfg: RunConfig, gateway: Gateway, graph) -> RunRecord:
    persona, scenario = load_persona(key.persona), load_scenario(key.scenario)
    max_turns = cfg.max_turns or scenario.max_turns
    usage: dict[str, Usage] = {}
    timings: dict[str, float] = {}
    verdicts: list[JudgeVerdict] = []
    instruments: dict = {}
    scoring_error: ErrorInfo | None = None
    with usage_scope(usage):
        t0 = time.perf_counter()
        ctx = conversation_context(cfg, key, gateway)
        try:
            conv, trajectory = await converse(ctx, max_turns, graph)
        except BudgetExceeded:
            raise
        except Exception as e:  # noqa: BLE001 - never lose the run to one conversation's bug
            conv, trajectory = Conversation(stop_reason="infrastructure_error", error=ErrorInfo(
                kind="internal", message=f"{type(e).__name__}: {e}"[:500])), []
        timings["conversation_s"] = time.perf_counter() - t0
        if conv.error is None:
            # the one scoring step (re-scoring a saved run uses it too); a scorer's failure makes
            # the record a judge error: kept and shown, retried on the next run, never scored
            t1 = time.perf_counter()
            item = FinishedConversation(persona=persona, scenario=scenario, conversation=conv,
                                        trajectory=trajectory, seed=key.seed, subject_model=cfg.models.subject.model)
            scored = await score_conversation(item, run_scorers(cfg, gateway))
            instruments, verdicts, scoring_error = scored.instruments, scored.verdicts, scored.error
            if cfg.judge.enabled:
                timings["judging_s"] = time.perf_counter() - t1
    failed = conv.error is not None or scoring_error is not None or any(v.status == "error" for v in verdicts)
    return RunRecord(
        record_id=key.record_id(), key=key, status="error" if failed else "ok",
        persona=persona, scenario=scenario,
        models={"persona": cfg.models.persona, "subject": cfg.models.subject,
                **{f"judge{i or ''}": s for i, s in enumerate(judge_specs(cfg)) if cfg.judge.enabled}},
        conversation=conv, trajectory=trajectory, verdicts=verdicts, instruments=instruments,
        error=scoring_error, usage=usage, timings=timings, config_hash=cfg.config_hash(), code_version=code_version(),
        created_at=now_iso(),
    )


def budget_stop_record(key: RunKey, cfg: RunConfig, message: str) -> RunRecord:
    """The conversation the run's budget cut off: a non-evaluable budget stop (its partial turns
    are not kept). An error record, so the next run retries it like any other."""
    return RunRecord(
        record_id=key.record_id(), key=key, status="error",
        persona=load_persona(key.persona), scenario=load_scenario(key.scenario),
        models={"persona": cfg.models.persona, "subject": cfg.models.subject},
        conversation=Conversation(stop_reason="budget_stop",
                                  error=ErrorInfo(kind="budget_exhausted", message=message[:500])),
        config_hash=cfg.config_hash(), code_version=code_version(), created_at=now_iso(),
    )


@dataclass
class RunResult:
    run_dir: Path
    planned: int
    skipped: int
    written: int
    counts: dict[str, int]
    status: str


def make_gateway(cfg: RunConfig) -> Gateway:
    return build_gateway(cfg.gateway_settings())


async def run_async(cfg: RunConfig, gateway: Gateway | None = None) -> RunResult:
    keys = plan(cfg)
    store = RunStore(cfg.run_dir())
    done = store.open(config_hash=cfg.config_hash(), config=cfg.model_dump(mode="json"),
                      planned=[k.record_id() for k in keys], force=cfg.run.force)
    todo = [k for k in keys if k.record_id() not in done]
    processes = _processes(cfg, gateway, len(todo))
    progress = Progress(planned=len(keys), done=len(keys) - len(todo), expected=expected_calls(cfg, todo),
                        enabled=cfg.run.progress)
    if processes > 1:
        return await _run_processes(cfg, keys, todo, store, progress)
    gateway = gateway or make_gateway(cfg)
    status = "complete"

    def keep(record: RunRecord) -> None:
        store.append(record)  # appends happen in the event loop, one at a time
        progress.update(record)
        # nothing keeps the record: memory stays flat however long the plan is

    try:
        with call_listener(progress.on_call):  # the bar moves as each model call ends
            await run_pool(todo, cfg, gateway, build_graph(), keep)
    except BudgetExceeded as e:
        status = "budget_exhausted"
        _say_budget_stop(str(e))
    except (asyncio.CancelledError, KeyboardInterrupt):
        status = "interrupted"
        raise
    finally:
        progress.close()
        store.close(status, progress.counts)
        if gateway.cache is not None:
            gateway.cache.close()
    return _result(store, keys, todo, progress, status)


def expected_calls(cfg: RunConfig, keys: list[RunKey]) -> dict[str, int]:
    """record id -> the model calls its conversation is expected to make (simulator.run.estimate)."""
    from simulator.run.estimate import estimate_key, shape_json

    shape = shape_json(cfg)
    return {k.record_id(): estimate_key(cfg, k, shape=shape).calls for k in keys}


async def run_pool(keys: list[RunKey], cfg: RunConfig, gateway: Gateway, graph, on_record) -> None:
    """run_key over `keys` with cfg.run.concurrency workers; on_record(record) as each finishes.

    The workers pull from one shared iterator, so a slow conversation never holds up the rest.
    Any exception (a spent budget included) cancels the others and is re-raised.
    """
    pending = iter(keys)

    async def worker() -> None:
        for k in pending:
            try:
                record = await run_key(k, cfg, gateway, graph)
            except BudgetExceeded as e:
                on_record(budget_stop_record(k, cfg, str(e)))  # kept apart, never scored, retried on resume
                raise
            on_record(record)

    workers = [asyncio.create_task(worker()) for _ in range(min(cfg.run.concurrency, len(keys)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for t in workers:
            t.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def _say_budget_stop(message: str) -> None:
    tqdm.write(f"stopped: {message}. Finished records are kept; rerun the same command to resume.")


def _result(store: RunStore, keys: list[RunKey], todo: list[RunKey], progress: Progress, status: str) -> RunResult:
    if progress.errors and status == "complete":
        status = "complete_with_errors"
    return RunResult(run_dir=store.dir, planned=len(keys), skipped=len(keys) - len(todo),
                     written=progress.written, counts=progress.counts, status=status)


def _processes(cfg: RunConfig, gateway: Gateway | None, todo: int) -> int:
    """How many worker processes to use; says why when run.processes cannot be honoured."""
    from simulator.run.shards import local_roles

    n = min(cfg.run.processes, todo)
    if n <= 1:
        return 1
    if local := local_roles(cfg):
        tqdm.write(f"run.processes={cfg.run.processes} ignored: {', '.join(local)} on the embedded model, "
                   "which already uses every core and would be loaded once per process")
        return 1
    if gateway is not None:
        tqdm.write(f"run.processes={cfg.run.processes} ignored: a Gateway was passed in, which "
                   "worker processes cannot share")
        return 1
    return n


async def _run_processes(cfg: RunConfig, keys: list[RunKey], todo: list[RunKey], store: RunStore,
                         progress: Progress) -> RunResult:
    from simulator.run.shards import run_sharded

    def on_record(line: bytes, status: str, tokens: int, cost: float) -> None:
        store.append_line(line)
        progress.add(status, tokens, cost)  # calls happened in the worker: counted by estimate

    status = "complete"
    try:
        outcome = await asyncio.to_thread(run_sharded, cfg, todo, on_record, run_pool)
        if outcome.budget_message:
            status = "budget_exhausted"
            _say_budget_stop(outcome.budget_message)
        for line in outcome.failures:
            status = "interrupted"
            tqdm.write(f"{line}; its unfinished conversations are not recorded and the next run retries them")
    except (asyncio.CancelledError, KeyboardInterrupt):
        status = "interrupted"
        raise
    finally:
        progress.close()
        store.close(status, progress.counts)
    return _result(store, keys, todo, progress, status)


def run(cfg: RunConfig, gateway: Gateway | None = None) -> RunResult:
    async def main() -> RunResult:
        try:
            return await run_async(cfg, gateway)
        finally:
            await shutdown_litellm()

    return asyncio.run(main())
