"""Per-conversation usage accounting without threading a counter through every call.

A conversation sets a dict as the current scope; Gateway.complete adds each call's usage to it.
asyncio tasks inherit the context, so concurrent conversations never mix their counts.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

from simulator.core.records import Usage

_SCOPE: ContextVar[dict[str, Usage] | None] = ContextVar("usage_scope", default=None)
# Told of every call as it ends (the run's progress bar), in the same context as the scope.
_LISTENER: ContextVar[Callable[[str, Usage], None] | None] = ContextVar("call_listener", default=None)


@contextmanager
def usage_scope(target: dict[str, Usage]) -> Iterator[dict[str, Usage]]:
    token = _SCOPE.set(target)
    try:
        yield target
    finally:
        _SCOPE.reset(token)


@contextmanager
def call_listener(fn: Callable[[str, Usage], None]) -> Iterator[None]:
    token = _LISTENER.set(fn)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def current_listener() -> Callable[[str, Usage], None] | None:
    return _LISTENER.get()


def charge(role: str, usage: Usage) -> None:
    scope = _SCOPE.get()
    if scope is not None:
        scope[role] = scope.get(role, Usage()).add(usage)
    listener = _LISTENER.get()
    if listener is not None:
        listener(role, usage)


def scope_tokens() -> int:
    """Tokens spent so far in the current scope (the current conversation)."""
    scope = _SCOPE.get() or {}
    return sum(u.prompt_tokens + u.completion_tokens for u in scope.values())
