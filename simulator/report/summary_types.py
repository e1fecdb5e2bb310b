"""Typed view of summary.json (simulator/report/summary.py builds the dict).

The fields a caller can rely on are typed; everything else the summary holds (breakdowns,
tension points, validity, agreement, ...) is kept as extra fields, so a new summary number never
breaks a reader.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Stat(BaseModel):
    """A mean with its count and 95% bootstrap interval (None where there is nothing to average)."""

    model_config = ConfigDict(extra="allow")

    mean: float | None = None
    n: int = 0
    ci95: list[float] | None = None


class ModelSummary(BaseModel):
    """One subject model's scores over its evaluable conversations."""

    model_config = ConfigDict(extra="allow")

    conversations: int
    criteria: dict[str, Stat] = Field(default_factory=dict)
    instruments: dict[str, Stat] = Field(default_factory=dict)
    final_state: dict[str, Stat] = Field(default_factory=dict)
    continuation_rate: float | None = None
    per_reply: dict[str, dict[str, Stat]] = Field(default_factory=dict)


class Summary(BaseModel):
    model_config = ConfigDict(extra="allow")

    planned: int | None = None
    records: int
    status: dict[str, int] = Field(default_factory=dict)
    stop_reasons: dict[str, int] = Field(default_factory=dict)
    evaluable: int
    non_evaluable: dict[str, int] = Field(default_factory=dict)
    errors_by_kind: dict[str, int] = Field(default_factory=dict)
    distrust: list[str] = Field(default_factory=list)
    models: dict[str, ModelSummary] = Field(default_factory=dict)
    runs: list[str] = Field(default_factory=list)
