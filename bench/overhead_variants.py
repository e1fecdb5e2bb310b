"""Candidate litellm settings and call-site changes, each applied and undone around a measurement.

A variant is (name, what it changes, enter() → undo). Settings are process-global in litellm, so
every variant restores what it changed and the benchmark measures them side by side with the
baseline, in interleaved rounds, in the same process.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, Iterator

import simulator.llm  # noqa: F401  (offline env before litellm import)
import litellm

from simulator.llm.call import Gateway


@dataclass(frozen=True)
class Variant:
    name: str
    what: str
    enter: Callable[[], contextlib.AbstractContextManager]
    extra: dict | None = None   # per-call kwargs (ModelSpec.extra for the Gateway path)


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


def _flag(name: str, value) -> Callable[[], contextlib.AbstractContextManager]:
    @contextlib.contextmanager
    def cm() -> Iterator[None]:
        old = getattr(litellm, name)
        setattr(litellm, name, value)
        try:
            yield
        finally:
            setattr(litellm, name, old)

    return cm


@contextlib.contextmanager
def _internal_call() -> Iterator[None]:
    """litellm's own marker for its internal calls: the wrapper then skips success logging."""
    from litellm._internal_context import is_internal_call

    token = is_internal_call.set(True)
    try:
        yield
    finally:
        is_internal_call.reset(token)


def _hidden_cost(spec, response) -> float:
    """Call-site change: read the cost litellm already computed instead of recomputing it."""
    from simulator.llm.providers import is_in_process

    if is_in_process(spec.model):
        return 0.0
    try:
        return float((getattr(response, "_hidden_params", None) or {}).get("response_cost") or 0.0)
    except (TypeError, ValueError):
        return 0.0


@contextlib.contextmanager
def _cost_from_hidden_params() -> Iterator[None]:
    old = Gateway.__dict__["_cost"]
    Gateway._cost = staticmethod(_hidden_cost)  # type: ignore[method-assign]
    try:
        yield
    finally:
        Gateway._cost = old  # type: ignore[method-assign]


@contextlib.contextmanager
def _zero_price_registered() -> Iterator[None]:
    """The benchmark's unpriced name ('openai/x') entered in litellm's price map at 0."""
    entry = {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "openai", "mode": "chat"}
    keys = ("openai/x", "x")
    old = {k: litellm.model_cost.get(k) for k in keys}
    litellm.register_model({k: dict(entry) for k in keys})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                litellm.model_cost.pop(k, None)
            else:
                litellm.model_cost[k] = v


@contextlib.contextmanager
def _combined() -> Iterator[None]:
    with _internal_call(), _cost_from_hidden_params():
        yield


VARIANTS: list[Variant] = [
    Variant("baseline", "the engine as it is (telemetry off, suppress_debug_info on)", _nothing),
    Variant("no_log_kwarg", "per-call kwarg 'no-log': True (skips callbacks only)", _nothing,
            extra={"no-log": True}),
    Variant("turn_off_message_logging", "litellm.turn_off_message_logging = True",
            _flag("turn_off_message_logging", True)),
    Variant("disable_token_counter", "litellm.disable_token_counter = True",
            _flag("disable_token_counter", True)),
    Variant("max_retries_0", "per-call kwarg max_retries=0; the Gateway passes it itself since ddc3894, so "
            "this is a null variant: its distance from 1.0 is the noise floor of the run", _nothing,
            extra={"max_retries": 0}),
    Variant("internal_call_ctx", "litellm._internal_context.is_internal_call=True around the call "
            "(skips the success-logging task: standard logging payload + second cost calc)", _internal_call),
    Variant("cost_from_hidden_params", "Gateway._cost reads response._hidden_params['response_cost'] "
            "instead of calling litellm.completion_cost again", _cost_from_hidden_params),
    Variant("internal_call+hidden_cost", "the two above together", _combined),
    Variant("httpx_transport", "litellm.disable_aiohttp_transport = True (httpx's own transport)",
            _flag("disable_aiohttp_transport", True)),
    Variant("custom_pricing", "per-call kwargs input/output_cost_per_token = 0 (litellm's public custom "
            "pricing: an unpriced model skips the price-lookup fallbacks)", _nothing,
            extra={"input_cost_per_token": 0.0, "output_cost_per_token": 0.0}),
    Variant("zero_price_registered", "litellm.register_model: the unpriced name entered at price 0 "
            "(a direct price-map hit instead of the fallback walk)", _zero_price_registered),
]


def by_name(names: list[str] | None) -> list[Variant]:
    if not names:
        return VARIANTS
    known = {v.name: v for v in VARIANTS}
    missing = [n for n in names if n not in known]
    if missing:
        raise SystemExit(f"unknown variant(s) {missing}; known: {list(known)}")
    return [known["baseline"]] + [known[n] for n in names if n != "baseline"]
