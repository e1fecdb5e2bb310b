"""Tokens-per-minute limit per model endpoint, as a reservation-based token bucket.

Providers meter tokens per minute (prompt + completion). Before a call we reserve an estimate
(prompt characters / 4 + max_tokens, the most the call can cost) and wait until the bucket has
paid for it; after the call the estimate is settled against the usage the provider reported, so
over-estimates are handed back. Reservations are taken in arrival order inside one event loop,
so waiting calls are served first come, first served and nobody starves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

CHARS_PER_TOKEN = 4  # a conservative rule of thumb across tokenizers; settled after the call


def estimate_tokens(messages: list[dict], max_tokens: int | None) -> int:
    """Upper-ish estimate of what a call will be billed, without running a tokenizer."""
    chars = 0
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):  # multi-part content: count the text parts
            chars += sum(len(p.get("text", "")) for p in content if isinstance(p, dict))
    return chars // CHARS_PER_TOKEN + 4 * len(messages) + (max_tokens or 0)


@dataclass
class TokenBucket:
    """`per_minute` tokens, refilled continuously, holding at most one minute's worth."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    level: float = field(init=False)
    _stamp: float = field(init=False)

    def __post_init__(self) -> None:
        if self.per_minute < 1:
            raise ValueError(f"tokens per minute must be at least 1, got {self.per_minute}")
        self.level = float(self.per_minute)
        self._stamp = self.clock()

    @property
    def rate(self) -> float:
        return self.per_minute / 60.0

    def _refill(self) -> None:
        now = self.clock()
        self.level = min(float(self.per_minute), self.level + (now - self._stamp) * self.rate)
        self._stamp = now

    def reserve(self, tokens: int) -> tuple[int, float]:
        """Take `tokens` now; return (tokens taken, seconds to wait before sending).

        The level may go below zero: that debt is what later callers wait out. A call larger
        than a whole minute's allowance is charged one minute's worth, so it waits for a full
        bucket instead of forever.
        """
        self._refill()
        taken = max(0, min(int(tokens), self.per_minute))
        self.level -= taken
        return taken, (max(0.0, -self.level / self.rate))

    def settle(self, reserved: int, used: int) -> None:
        """Replace a reservation by what the call really used (0 for a call that failed)."""
        self._refill()
        self.level = min(float(self.per_minute), self.level + reserved - max(0, int(used)))
