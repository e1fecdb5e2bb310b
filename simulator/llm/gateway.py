"""The one place a Gateway is built: run, re-judge, pairwise and calibrate all come through here,
so a re-judge of a run keeps that run's in-flight bound, retries, rate limit and budget."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from simulator.llm.cache import CallCache
from simulator.llm.call import Budget, Gateway


class GatewaySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cache_path: Path | None = None  # None: no call cache
    max_in_flight: int = 8
    retries: int = 3
    backoff_s: float = 1.0
    tokens_per_minute: int | None = None
    max_tokens_budget: int | None = None
    max_cost_usd: float | None = None


def build_gateway(settings: GatewaySettings) -> Gateway:
    return Gateway(
        cache=CallCache(settings.cache_path) if settings.cache_path else None,
        max_in_flight=settings.max_in_flight, retries=settings.retries, backoff_s=settings.backoff_s,
        tokens_per_minute=settings.tokens_per_minute,
        budget=Budget(max_tokens=settings.max_tokens_budget, max_cost_usd=settings.max_cost_usd),
    )
