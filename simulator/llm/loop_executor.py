"""litellm's set-up step of an async call, run on the event loop instead of a worker thread.

`litellm.acompletion` runs the synchronous `completion()` in the loop's default executor
(`loop.run_in_executor(None, partial(ctx.run, completion…))`) even when that step only builds the
request and returns the coroutine that sends it. For the providers named in `inline_setup` that
step does no I/O, so the thread hop buys nothing and costs a thread switch, a self-pipe wake-up of
the loop and GIL hand-offs with the loop thread: about 15% of the client's CPU per call at
concurrency 50 (bench/README.md, section (a)).

`LoopExecutor` is a ThreadPoolExecutor: anything submitted to it runs in its threads as before
(asyncio.to_thread, the `local/` provider's generation, DNS lookups), except the one submission
the Gateway arms with `inline_setup()` around its `litellm.acompletion` call, which runs at once
in the caller's thread, in the same copied context litellm gave it. The arming is used up by the
first submission, so whatever litellm submits later in that call goes to a thread. A loop that
already has a default executor keeps it (and every call then takes the thread hop, as before).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor


class _Once:
    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = False


_ARMED: contextvars.ContextVar[_Once | None] = contextvars.ContextVar("inline_setup", default=None)


def _is_context_run(fn: object) -> bool:
    """The shape litellm submits: functools.partial(Context.run, func)."""
    run = getattr(fn, "func", None) if isinstance(fn, functools.partial) else None
    return isinstance(getattr(run, "__self__", None), contextvars.Context) and getattr(run, "__name__", "") == "run"


class LoopExecutor(ThreadPoolExecutor):
    def submit(self, fn, /, *args, **kwargs) -> Future:
        once = _ARMED.get()
        if once is None or once.used or args or kwargs or not _is_context_run(fn):
            return super().submit(fn, *args, **kwargs)
        once.used = True
        future: Future = Future()
        try:
            future.set_result(fn())
        except Exception as e:  # noqa: BLE001 - handed to the awaiting caller, as a thread would
            future.set_exception(e)
        return future


def install(loop: asyncio.AbstractEventLoop) -> bool:
    """Make a LoopExecutor the default executor of `loop` unless it has one; True if it has ours.

    Reads asyncio's private `_default_executor` to leave a caller's own executor alone; a loop
    without that attribute (another loop implementation) is left as it is."""
    current = getattr(loop, "_default_executor", False)
    if isinstance(current, LoopExecutor):
        return True
    if current is not None:
        return False
    loop.set_default_executor(LoopExecutor(thread_name_prefix="empathy-sim-loop"))
    return True


@contextlib.contextmanager
def inline_setup(enabled: bool) -> Iterator[None]:
    """Run the first executor submission made inside this block on the loop (when `enabled`)."""
    if not enabled:
        yield
        return
    token = _ARMED.set(_Once())
    try:
        yield
    finally:
        _ARMED.reset(token)
