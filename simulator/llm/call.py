"""The one call site for every model call, whatever the role or provider.

Everything that touches a model goes through Gateway.complete: per-model concurrency bounds,
retries with backoff on rate limits / server errors / timeouts, the on-disk cache, usage and
cost accounting, and turning provider exceptions into typed, redacted errors.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import simulator.llm  # noqa: F401  (offline env before litellm import)
import litellm

from simulator.llm.cache import CallCache, call_key
from simulator.llm.providers import ensure_local_provider, is_embedded, is_in_process
from simulator.llm.rate_limit import TokenBucket, estimate_tokens
from simulator.llm.redact import redact
from simulator.llm.usage_scope import charge
from simulator.core.records import ErrorInfo, ModelSpec, Role, Usage

RETRYABLE = {"rate_limit", "server_error", "timeout", "connection"}

litellm.telemetry = False
litellm.suppress_debug_info = True


class ModelCallError(RuntimeError):
    """A model call that failed for good. Carries a typed ErrorInfo; never becomes a score."""

    def __init__(self, info: ErrorInfo) -> None:
        super().__init__(f"{info.role or 'model'} call failed ({info.kind}): {info.message}")
        self.info = info


class BudgetExceeded(RuntimeError):
    """The run's token or cost budget is spent; the run stops cleanly and can be resumed."""


@dataclass
class Completion:
    text: str
    usage: Usage
    latency_s: float
    cached: bool = False
    # (token, logprob) alternatives at the first answer position, when logprobs were asked for
    top_logprobs: list[tuple[str, float]] | None = None


def first_position_logprobs(response) -> list[tuple[str, float]] | None:
    """The alternatives at the FIRST generated position (where a one-token answer is), or None.

    Reads the OpenAI chat shape litellm normalises every provider to. Only position 0 counts:
    reading a later position scores the wrong token (DeepEval's G-Eval bug #3000).
    """
    lp = getattr(response.choices[0], "logprobs", None)
    content = getattr(lp, "content", None) if lp is not None and not isinstance(lp, dict) else (lp or {}).get("content")
    if not content:
        return None
    first = content[0]
    alts = first.get("top_logprobs") if isinstance(first, dict) else getattr(first, "top_logprobs", None)
    if not alts:
        return None
    out = []
    for a in alts:
        tok = a.get("token") if isinstance(a, dict) else getattr(a, "token", None)
        val = a.get("logprob") if isinstance(a, dict) else getattr(a, "logprob", None)
        if isinstance(tok, str) and isinstance(val, (int, float)):
            out.append((tok, float(val)))
    return out or None


def classify(exc: BaseException) -> str:
    """Map a provider exception to an error kind (stable strings used in summaries)."""
    checks = [
        (litellm.RateLimitError, "rate_limit"),
        (litellm.Timeout, "timeout"),
        (litellm.AuthenticationError, "auth"),
        (litellm.ContextWindowExceededError, "context_window"),
        (litellm.NotFoundError, "not_found"),
        (litellm.BadRequestError, "bad_request"),
        (litellm.APIConnectionError, "connection"),
        (litellm.ServiceUnavailableError, "server_error"),
        (litellm.InternalServerError, "server_error"),
    ]
    for cls, kind in checks:
        if isinstance(exc, cls):
            return kind
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout"
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        if status == 429:
            return "rate_limit"
        if status >= 500:
            return "server_error"
        if status == 404:
            return "not_found"
    return "provider_error"


def missing_key(spec: ModelSpec) -> str | None:
    """Name of the API-key environment variable a remote model needs but lacks, if any."""
    if spec.api_base or is_in_process(spec.model) or spec.extra.get("api_key"):
        return None
    try:
        env = litellm.validate_environment(model=spec.model)
    except Exception:  # unknown provider: the call itself will report it
        return None
    # Only keys count: a missing *_API_BASE (e.g. Ollama's) has a working local default.
    missing = [k for k in env.get("missing_keys") or [] if not k.endswith("_API_BASE")]
    if missing:
        return missing[0]
    # litellm treats an empty variable as set; a call would then fail with a confusing 401.
    guess = f"{spec.model.split('/', 1)[0].upper()}_API_KEY"
    if guess in os.environ and not os.environ[guess].strip():
        return guess
    return None


@dataclass
class Budget:
    max_tokens: int | None = None
    max_cost_usd: float | None = None
    spent_tokens: int = 0
    spent_cost_usd: float = 0.0

    def charge(self, usage: Usage) -> None:
        self.spent_tokens += usage.prompt_tokens + usage.completion_tokens
        self.spent_cost_usd += usage.cost_usd

    def exhausted(self) -> bool:
        return (self.max_tokens is not None and self.spent_tokens >= self.max_tokens) or (
            self.max_cost_usd is not None and self.spent_cost_usd >= self.max_cost_usd
        )


@dataclass
class Gateway:
    cache: CallCache | None = None
    max_in_flight: int = 8
    retries: int = 3
    backoff_s: float = 1.0
    budget: Budget = field(default_factory=Budget)
    # Tokens (prompt + completion) per minute per model endpoint; None = no limit.
    tokens_per_minute: int | None = None
    totals: dict[str, Usage] = field(default_factory=lambda: defaultdict(Usage))
    rate_wait_s: float = 0.0  # total time calls spent waiting for the tokens-per-minute limit
    # Injectable so tests can run the limiter and the backoff on a fake clock.
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _sems: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ensure_local_provider()

    @staticmethod
    def _endpoint(spec: ModelSpec) -> str:
        return f"{spec.model}@{spec.api_base or ''}"

    def _sem(self, spec: ModelSpec) -> asyncio.Semaphore:
        # One bound per model endpoint, so a slow provider never starves another.
        key = self._endpoint(spec)
        if key not in self._sems:
            self._sems[key] = asyncio.Semaphore(self.max_in_flight)
        return self._sems[key]

    def _bucket(self, spec: ModelSpec) -> TokenBucket | None:
        if self.tokens_per_minute is None or is_embedded(spec.model):
            return None  # the embedded model has no provider quota to respect
        key = self._endpoint(spec)
        if key not in self._buckets:
            self._buckets[key] = TokenBucket(self.tokens_per_minute, clock=self.clock)
        return self._buckets[key]

    def _kwargs(self, spec: ModelSpec, seed: int | None, response_format: dict | None,
                logprobs: int | None = None) -> dict:
        kwargs: dict = {
            "temperature": spec.temperature, "max_tokens": spec.max_tokens, "timeout": spec.timeout_s,
            # Retrying is this call site's job; SDK-level retries would multiply it (3 x 3 calls).
            "max_retries": 0,
        }
        if logprobs is not None:
            # A one-token answer read from the distribution: greedy, and nothing past it.
            kwargs.update(temperature=0.0, max_tokens=1, logprobs=True, top_logprobs=logprobs)
        if seed is not None:
            kwargs["seed"] = seed
        if spec.api_base:
            kwargs["api_base"] = spec.api_base
            # OpenAI-compatible local servers ignore the key but the client insists on one.
            if spec.model.startswith("openai/") and not os.environ.get("OPENAI_API_KEY"):
                kwargs["api_key"] = "not-needed"
        if response_format is not None:
            kwargs["response_format"] = response_format
        kwargs.update(spec.extra)
        return kwargs

    async def complete(
        self, spec: ModelSpec, messages: list[dict], *, role: Role, seed: int | None = None,
        response_format: dict | None = None, use_cache: bool = True, logprobs: int | None = None,
    ) -> Completion:
        """One model call. With `logprobs=N`, a one-token answer whose N most likely first tokens
        come back as Completion.top_logprobs; a provider that returns none fails the call loudly
        (kind `no_logprobs`) rather than falling back to a sampled answer."""
        if self.budget.exhausted():
            raise BudgetExceeded(
                f"run budget spent ({self.budget.spent_tokens} tokens, ${self.budget.spent_cost_usd:.4f})"
            )
        kwargs = self._kwargs(spec, seed, response_format, logprobs)
        key = None
        if self.cache is not None and use_cache:
            key = call_key({"model": spec.model, "messages": messages, "params": {
                k: v for k, v in kwargs.items() if k not in ("timeout", "api_key", "max_retries")}})
            hit = self.cache.get(key)
            if hit is not None:
                usage = Usage(calls=1, cached_calls=1, prompt_tokens=hit["prompt_tokens"],
                              completion_tokens=hit["completion_tokens"])
                self._account(role, usage)
                top = [tuple(x) for x in hit["top_logprobs"]] if hit.get("top_logprobs") else None
                return Completion(text=hit["text"], usage=usage, latency_s=0.0, cached=True,
                                  top_logprobs=top)  # type: ignore[arg-type]

        start = time.perf_counter()
        response = await self._call_with_retries(spec, messages, kwargs, role)
        latency = time.perf_counter() - start
        text = (response.choices[0].message.content or "").strip()
        top = first_position_logprobs(response) if logprobs is not None else None
        if logprobs is not None and top is None:
            raise ModelCallError(ErrorInfo(
                kind="no_logprobs", role=role,
                message=f"{spec.model} returned no logprobs for the answer token; a probability "
                        "judge needs a provider that returns them (use judge.method=structured)"))
        if not text and top is None:
            raise ModelCallError(ErrorInfo(kind="empty_reply", role=role,
                                           message=f"{spec.model} returned no content"))
        u = getattr(response, "usage", None)
        usage = Usage(
            calls=1,
            prompt_tokens=getattr(u, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(u, "completion_tokens", 0) or 0,
            cost_usd=self._cost(spec, response),
        )
        self._account(role, usage)
        self.budget.charge(usage)
        if key is not None:
            self.cache.put(key, {"text": text, "prompt_tokens": usage.prompt_tokens,  # type: ignore[union-attr]
                                 "completion_tokens": usage.completion_tokens,
                                 "top_logprobs": [list(x) for x in top] if top else None})
        return Completion(text=text, usage=usage, latency_s=latency, top_logprobs=top)

    def _account(self, role: Role, usage: Usage) -> None:
        self.totals[role] = self.totals[role].add(usage)
        charge(role, usage)

    async def _call_with_retries(self, spec: ModelSpec, messages: list[dict], kwargs: dict, role: Role):
        attempt = 0
        bucket = self._bucket(spec)
        estimate = estimate_tokens(messages, kwargs.get("max_tokens")) if bucket else 0
        while True:
            reserved = 0
            try:
                if bucket is not None:
                    # Wait outside the in-flight bound, so waiting calls hold no slot.
                    reserved, wait = bucket.reserve(estimate)
                    if wait > 0:
                        self.rate_wait_s += wait
                        await self.sleep(wait)
                async with self._sem(spec):
                    response = await litellm.acompletion(model=spec.model, messages=messages, **kwargs)
                if bucket is not None:
                    u = getattr(response, "usage", None)
                    used = (getattr(u, "prompt_tokens", 0) or 0) + (getattr(u, "completion_tokens", 0) or 0)
                    bucket.settle(reserved, used or reserved)  # no usage reported: keep the estimate
                return response
            except Exception as exc:  # noqa: BLE001 - classified and re-raised as typed error
                if bucket is not None:
                    bucket.settle(reserved, 0)  # a failed call is not billed
                kind = classify(exc)
                if kind in RETRYABLE and attempt < self.retries:
                    attempt += 1
                    # Exponential backoff with jitter; the jitter keeps retried calls from
                    # arriving in lock-step at a rate-limited provider.
                    delay = self.backoff_s * (2 ** (attempt - 1)) * (0.5 + random.random())
                    await self.sleep(delay)
                    continue
                msg = redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                raise ModelCallError(ErrorInfo(
                    kind=kind, role=role,
                    message=f"{spec.model}: {msg[:500]}" + (f" (after {attempt} retries)" if attempt else ""),
                )) from None

    @staticmethod
    def _cost(spec: ModelSpec, response) -> float:
        if is_in_process(spec.model):
            return 0.0
        # litellm has usually priced the response already; pricing it again costs ~1 ms of CPU.
        # A None there means litellm tried and found no price (self-hosted, unpriced names):
        # asking again walks the same pricing fallbacks to the same answer.
        hidden = getattr(response, "_hidden_params", None) or {}
        if "response_cost" in hidden:
            cost = hidden["response_cost"]
            return float(cost) if isinstance(cost, (int, float)) else 0.0
        try:
            return float(litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # unknown pricing (self-hosted, new model): cost unknown, not an error
            return 0.0


async def shutdown_litellm() -> None:
    """Stop litellm's background logging worker so asyncio.run() can exit promptly."""
    try:
        from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER

        await GLOBAL_LOGGING_WORKER.stop(discard_pending=True, timeout=2)
    except Exception:  # best effort at shutdown
        pass
