"""The run's progress: conversations done / planned and, within them, model calls as each ends.

The bar moves with every model call (the call site tells the listener in
simulator.llm.usage_scope), not only when a whole conversation is written, so a run whose first
conversation takes minutes still shows it working. Its total is the expected calls of the
conversations still to run (simulator.run.estimate); as each conversation is written, its estimate is
replaced by the calls it really made, so the total ends exact and the ETA (elapsed × calls still
expected ÷ calls done) sharpens as the run goes. With run.processes > 1 the calls happen in the
worker processes, so there the bar moves by a conversation's expected calls as it is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel
from tqdm import tqdm

from simulator.core.records import RunRecord, Usage


class ProgressSnapshot(BaseModel):
    conversations_planned: int
    conversations_done: int   # those already on disk at the start included
    calls: int                # model calls ended in this run (cache hits included)
    expected_calls: int       # calls this run should make in all (estimate, corrected as it goes)
    replies: int              # subject calls: the conversations' turns so far
    tokens: int
    cost_usd: float
    errors: int
    elapsed_s: float

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        if self.calls == 0:
            return None
        return self.elapsed_s * max(0, self.expected_calls - self.calls) / self.calls


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def describe(s: ProgressSnapshot) -> str:
    """The text beside the bar."""
    return (f"conv {s.conversations_done}/{s.conversations_planned} · calls {s.calls}/{s.expected_calls} · "
            f"replies {s.replies} · {s.tokens_per_s:.0f} tok/s · ETA {_clock(s.eta_s)} · "
            f"errors {s.errors} · ${s.cost_usd:.4f}")


class Progress:
    def __init__(self, *, planned: int, done: int, expected: dict[str, int], enabled: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """expected: record id -> expected calls, for each conversation this run will make."""
        self.planned, self.done_before = planned, done
        self.expected = dict(expected)
        self.expected_calls = sum(expected.values())
        self.calls = self.replies = self.tokens = self.errors = 0
        self.cost = 0.0
        self.counts: dict[str, int] = {}
        self.clock = clock
        self.start = clock()
        # drawn at once, with the counts, before the first call ends
        # the counts ride in tqdm's desc field, drawn after the bar (its postfix would add ", ")
        self.bar = tqdm(total=max(1, self.expected_calls), desc=describe(self.snapshot()), unit="call",
                        bar_format="empathy-sim {percentage:3.0f}%|{bar}| {desc}",
                        disable=not enabled, dynamic_ncols=True)

    @property
    def written(self) -> int:
        return sum(self.counts.values())

    def snapshot(self) -> ProgressSnapshot:
        return ProgressSnapshot(
            conversations_planned=self.planned, conversations_done=self.done_before + self.written,
            calls=self.calls, expected_calls=self.expected_calls, replies=self.replies,
            tokens=self.tokens, cost_usd=self.cost, errors=self.errors,
            elapsed_s=self.clock() - self.start)

    def _show(self, advance: int = 0) -> None:
        if self.bar.disable:
            return
        self.bar.total = max(self.expected_calls, self.calls, 1)
        self.bar.set_description_str(describe(self.snapshot()), refresh=False)
        self.bar.update(advance)  # tqdm redraws at most every mininterval (0.1 s)

    def on_call(self, role: str, usage: Usage) -> None:
        """A model call has ended (the call site's listener)."""
        self.calls += 1
        self.replies += role == "subject"
        self.tokens += usage.prompt_tokens + usage.completion_tokens
        self.cost += usage.cost_usd
        self._show(1)

    def update(self, record: RunRecord) -> None:
        """A conversation was written (one-process run: its calls were counted as they ended)."""
        actual = sum(u.calls for u in record.usage.values())
        self._written(record.record_id, record.status, actual_calls=actual)

    def add(self, status: str, tokens: int, cost: float, record_id: str | None = None) -> None:
        """A conversation written by a worker process, whose calls this process never saw."""
        mean = round(sum(self.expected.values()) / len(self.expected)) if self.expected else 0
        calls = self.expected.get(record_id or "", mean)
        self.calls += calls
        self.tokens += tokens
        self.cost += cost
        self._written(record_id, status, actual_calls=calls, advance=calls)

    def _written(self, record_id: str | None, status: str, actual_calls: int, advance: int = 0) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        self.errors += status == "error"
        if record_id is not None and record_id in self.expected:
            # the estimate is replaced by what the conversation really made
            self.expected_calls += actual_calls - self.expected.pop(record_id)
        self._show(advance)

    def close(self) -> None:
        self._show()
        self.bar.close()
