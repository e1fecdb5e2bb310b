"""The Python API: what the `empathy-sim` command does, as functions with typed results.

    from simulator import api

    cfg = api.config(scenario=["grief_missed_last_call"], max_turns=2,
                     models={"subject": {"model": "openai/gpt-4o-mini"}})
    result = api.run(cfg)                    # or: await api.run_async(cfg) in a notebook
    result.summary().models                  # typed Summary
    api.rescore(result.run_dir, judges=["openai/gpt-4o"])
    api.records(result.run_dir)[0].verdicts  # RunRecord objects, re-judged verdicts merged

The CLI's runs and `judge` go through these functions. A mistake in what was asked (an unknown config
key, a bad value, an unknown card, a missing API key, a run directory holding another config)
raises `UsageError`, whose text is the one line the CLI prints. Importing this module loads no
model library; each function imports what it needs when called.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulator.report.summary_types import Summary

if TYPE_CHECKING:
    from simulator.core.cards import Persona, Scenario
    from simulator.core.records import ModelSpec, RunKey, RunRecord
    from simulator.llm.call import Gateway
    from simulator.run.config import RunConfig

__all__ = [
    "UsageError", "RunOutcome", "Summary", "load_persona", "load_scenario", "list_cards", "defaults",
    "config_keys", "config", "run_config", "plan", "run", "run_async", "rescore", "rescore_async",
    "records", "summary",
]

Say = Callable[[str], None]
# models.<role>.extra: a free-form map passed to litellm as is (its keys are not checked).
_FREE_FORM = "extra"


class UsageError(ValueError):
    """A mistake in what was asked; str() is one line naming the key, card, file or variable."""


# ------------------------------------------------------------------ cards


def load_persona(persona_id: str) -> Persona:
    """A persona card by id (packaged, or from EMPATHY_SIM_PERSONAS_PATH)."""
    from simulator.core.card_loader import load_persona as load

    return load(persona_id)


def load_scenario(scenario_id: str) -> Scenario:
    """A scenario card by id (packaged, or from EMPATHY_SIM_SCENARIOS_PATH)."""
    from simulator.core.card_loader import load_scenario as load

    return load(scenario_id)


def list_cards(kind: Literal["personas", "scenarios"] = "scenarios") -> list:
    """Every card of a kind, loaded and validated (your own folders' cards first)."""
    if kind not in ("personas", "scenarios"):
        raise UsageError(f"list_cards: kind must be 'personas' or 'scenarios', not {kind!r}")
    from simulator.core.card_loader import load_all

    return load_all(kind)


# ------------------------------------------------------------------ config


def defaults() -> dict:
    """The packaged run configuration (simulator/conf/config.yaml) as a plain dict, Hydra's own
    keys left out: what `empathy-sim` runs with no overrides."""
    from importlib.resources import files

    import yaml

    base = yaml.safe_load(files("simulator").joinpath("conf", "config.yaml").read_text("utf-8"))
    return {k: v for k, v in base.items() if k not in ("hydra", "defaults")}


def config_keys() -> list[str]:
    """Every dotted key of the packaged config (inner nodes and leaves)."""
    keys: list[str] = []

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                keys.append(prefix + str(k))
                walk(v, f"{prefix}{k}.")

    walk(defaults(), "")
    return keys


def nearest_keys(key: str, keys: list[str], n: int = 3) -> list[str]:
    """The valid keys a mistyped one most likely meant: spelling of the whole key, with weight on
    its last part (`concurrency` → `run.concurrency`, `models.subject.api_bse` → `…api_base`)."""
    from difflib import SequenceMatcher

    leaf = key.rsplit(".", 1)[-1]

    def score(k: str) -> float:
        k_leaf = k.rsplit(".", 1)[-1]
        leaf_score = 0.5 if k_leaf == leaf else 0.3 * SequenceMatcher(None, leaf, k_leaf).ratio()
        return SequenceMatcher(None, key, k).ratio() + leaf_score

    scored = sorted(((score(k), k) for k in keys), key=lambda sk: -sk[0])
    return [k for s, k in scored if s >= 0.75][:n]


def is_free_form(key: str) -> bool:
    """models.<role>.extra and anything under it: passed to litellm unchecked."""
    parts = key.split(".")
    return len(parts) >= 3 and parts[0] == "models" and parts[2] == _FREE_FORM


def run_config(cfg: Mapping[str, Any]) -> RunConfig:
    """A whole config dict validated into RunConfig; a bad value raises UsageError naming the field."""
    from pydantic import ValidationError

    from simulator.run.config import RunConfig

    try:
        return RunConfig.model_validate(dict(cfg))
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise UsageError(f"config field {loc}: {err['msg']} (got {err.get('input')!r})") from None


def config(overrides: Mapping[str, Any] | None = None, /, **kw: Any) -> RunConfig:
    """The packaged defaults with overrides, validated into RunConfig.

    Overrides are nested dicts (`models={"subject": {"model": "ollama/llama3.1"}}`, merged into
    the defaults) or dotted keys in a dict (`config({"models.subject.model": "ollama/llama3.1"})`),
    the same keys as the command line's. An unknown key raises UsageError naming the nearest
    valid ones.
    """
    base = defaults()
    keys = set(config_keys())
    for key, value in {**(overrides or {}), **kw}.items():
        _apply(base, str(key), value, keys)
    return run_config(base)


def _apply(base: dict, key: str, value: Any, keys: set[str]) -> None:
    free = is_free_form(key)
    if not free and key not in keys:
        near = nearest_keys(key, sorted(keys))
        hint = f"; nearest: {', '.join(near)}" if near else ""
        raise UsageError(f"unknown config key {key!r}{hint} (all keys: simulator.api.config_keys())")
    node = base
    *parents, leaf = key.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    if isinstance(value, Mapping) and isinstance(node.get(leaf), dict) and not free:
        for sub, v in value.items():  # a nested dict merges into the defaults, key by key
            _apply(base, f"{key}.{sub}", v, keys)
        return
    node[leaf] = dict(value) if isinstance(value, Mapping) else value


def _as_config(cfg: RunConfig | Mapping[str, Any] | None) -> RunConfig:
    from simulator.run.config import RunConfig

    if cfg is None:
        return config()
    return cfg if isinstance(cfg, RunConfig) else config(cfg)


def plan(cfg: RunConfig | Mapping[str, Any] | None = None) -> list[RunKey]:
    """The conversations a config asks for (persona × scenario × seed), every card validated."""
    from simulator.core.card_loader import CardError
    from simulator.run.config import plan as make_plan

    try:
        return make_plan(_as_config(cfg))
    except (CardError, ValueError) as e:
        raise UsageError(str(e)) from e


# ------------------------------------------------------------------ runs


class RunOutcome(BaseModel):
    """What a run did: where it wrote, how many conversations, their statuses."""

    model_config = ConfigDict(frozen=True)

    run_dir: Path
    planned: int
    skipped: int = Field(description="already in the run directory (a resumed run)")
    written: int
    counts: dict[str, int] = Field(description="records written, per status (ok, error)")
    status: str = Field(description="complete, complete_with_errors, budget_exhausted or interrupted")
    warnings: list[str] = Field(default_factory=list)
    summary_path: Path | None = None
    report_paths: dict[str, Path] = Field(default_factory=dict)

    def records(self) -> list[RunRecord]:
        return records(self.run_dir)

    def summary(self) -> Summary:
        return summary(self.run_dir)


async def run_async(cfg: RunConfig | Mapping[str, Any] | None = None, *, gateway: Gateway | None = None,
                    say: Say | None = None) -> RunOutcome:
    """Run (or resume) a config's conversations, judge them and, with run.report, write
    summary.json and the reports. `say` receives one-line progress notes (the CLI prints them);
    without it, warnings go to `warnings.warn`. A Gateway may be passed to share one."""
    from simulator.core.store import ConfigChanged
    from simulator.run.runner import PreflightError, preflight
    from simulator.run.runner import run_async as run_plan

    cfg = _as_config(cfg)
    try:
        notes = preflight(cfg)
    except PreflightError as e:
        raise UsageError(str(e)) from e
    keys = plan(cfg)
    for w in notes:
        say(f"warning: {w}") if say else warnings.warn(w, stacklevel=2)
    if say:
        say(f"{len(keys)} conversation(s) → {cfg.run_dir()}")
    try:
        result = await run_plan(cfg, gateway)
    except ConfigChanged as e:
        raise UsageError(str(e)) from e
    if say:
        say(f"{result.status}: {result.written} written, {result.skipped} already done, "
            f"counts {result.counts} → {result.run_dir / 'records.jsonl'}")
    summary_path, report_paths = None, {}
    if cfg.run.report:
        from simulator.report.build import write_report
        from simulator.report.summary import write_summary

        summary_path = write_summary(result.run_dir)
        if say:
            say(f"summary → {summary_path}")
        report_paths = write_report(result.run_dir)
        if say:
            say(f"report → {report_paths['html']}")
    return RunOutcome(run_dir=result.run_dir, planned=result.planned, skipped=result.skipped,
                      written=result.written, counts=result.counts, status=result.status,
                      warnings=notes, summary_path=summary_path, report_paths=report_paths)


def run(cfg: RunConfig | Mapping[str, Any] | None = None, *, gateway: Gateway | None = None,
        say: Say | None = None) -> RunOutcome:
    """run_async on its own event loop (closed with litellm's clients when done)."""
    return _sync("run", run_async(_as_config(cfg), gateway=gateway, say=say))


def _sync(name: str, coro):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        coro.close()
        raise UsageError(f"simulator.api.{name}() was called inside a running event loop (a notebook?); "
                         f"use `await simulator.api.{name}_async(...)` there")

    async def main():
        from simulator.llm.call import shutdown_litellm

        try:
            return await coro
        finally:
            await shutdown_litellm()

    return asyncio.run(main())


# ------------------------------------------------------------------ re-scoring and reading


def _specs(judges: Iterable[str | ModelSpec], temperature: float, max_tokens: int,
           api_base: str | None) -> list[ModelSpec]:
    from simulator.core.records import ModelSpec

    specs = [j if isinstance(j, ModelSpec) else
             ModelSpec(model=j, temperature=temperature, max_tokens=max_tokens, api_base=api_base)
             for j in ([judges] if isinstance(judges, str) else judges)]
    if not specs:
        raise UsageError("rescore: judges is empty; name at least one judge model")
    return specs


async def rescore_async(run_dir: str | Path, judges: Iterable[str | ModelSpec] = ("local/qwen2.5-1.5b",), *,
                        method: Literal["auto", "prob", "hybrid", "structured"] = "auto",
                        rubric: str = "relational_empathy",
                        structured: Literal["schema", "json", "none"] = "schema",
                        temperature: float = 0.0, max_tokens: int = 1200, api_base: str | None = None,
                        concurrency: int = 4, cache_path: str | None = None, no_cache: bool = False,
                        progress: bool = True) -> list[Path]:
    """Re-judge a run's saved conversations with other judges, one verdicts/<judge>.jsonl each
    (resumable; records are never edited). Returns the verdict files. The run loader (`records`,
    `summary`, the report) then puts the newest re-judge first."""
    from simulator.llm.call import missing_key
    from simulator.run.rescore import gateway_for_run, rejudge_async

    run_dir = Path(run_dir)
    if not (run_dir / "records.jsonl").exists():
        raise UsageError(f"{run_dir}: no records.jsonl (is this a run directory?)")
    specs = _specs(judges, temperature, max_tokens, api_base)
    for s in specs:
        if var := missing_key(s):
            raise UsageError(f"judge model {s.model} needs the environment variable {var}, which is not set")
    gateway = gateway_for_run(run_dir, cache_path=cache_path, no_cache=no_cache)
    return await rejudge_async(run_dir, specs, gateway, rubric_id=rubric, concurrency=concurrency,
                               progress=progress, structured=structured, method=method)


def rescore(run_dir: str | Path, judges: Iterable[str | ModelSpec] = ("local/qwen2.5-1.5b",), **kw: Any) -> list[Path]:
    """rescore_async on its own event loop; the same arguments."""
    return _sync("rescore", rescore_async(run_dir, judges, **kw))


def records(path: str | Path) -> list[RunRecord]:
    """The records of a run directory (or of every run a sweep directory holds), validated, the
    last per conversation, re-judged verdicts merged in front of each record's own."""
    from simulator.core.store import iter_records
    from simulator.report.summary import find_run_dirs

    runs = find_run_dirs(Path(path))
    if not runs:
        raise UsageError(f"{path}: no records.jsonl here or in the runs it lists")
    return [r for d in runs for r in iter_records(d)]


def summary(path: str | Path) -> Summary:
    """The summary of a run or sweep directory, computed from its records now and written to
    summary.json there (as `empathy-sim summary` does)."""
    from simulator.report.summary import write_summary

    try:
        out = write_summary(Path(path))
    except FileNotFoundError as e:
        raise UsageError(str(e)) from None
    return Summary.model_validate_json(out.read_bytes())
