"""What the loopback server does with request number n: pure functions of (options, seed, n).

Failure selection and latency jitter come from a private RNG seeded with (seed, request index),
so two servers with the same options answer the same sequence of requests identically, whatever
the arrival timing. Reply text is deterministic too (a warm filler that echoes the last message),
so a simulated persona stays engaged and conversations run their full length.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

# Canonical failure kinds, with the spellings accepted on the CLI.
KINDS = ("rate_limit", "server_error", "timeout", "empty", "truncated", "non_json", "wrong_language")
ALIASES = {
    "429": "rate_limit", "rate_limit": "rate_limit",
    "500": "server_error", "server_error": "server_error",
    "timeout": "timeout", "hang": "timeout",
    "empty": "empty",
    "truncated": "truncated",
    "non_json": "non_json", "nonjson": "non_json", "html": "non_json",
    "wrong_language": "wrong_language", "wrong-language": "wrong_language", "language": "wrong_language",
}

_WARM = ("oh that sounds so heavy, you feel guilt and grief and exhaustion all at once and you "
         "are carrying so much right now").split()
_OTHER_SCRIPT = "我明白你的感受 这真的很难 你并不孤单 我在这里听你说".split()
_ENGLISH = "i hear you and this sounds really hard and you are not alone in it".split()
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af\u0600-\u06ff]")
_TOKEN = re.compile(r"[^\s()]+")
MAX_REPLY_WORDS = 20_000


def parse_kinds(spec: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """'429,500,timeout' → ('rate_limit', 'server_error', 'timeout'); unknown names are an error."""
    if spec is None or spec == "":
        return KINDS
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out = []
    for item in items:
        name = item.strip().lower()
        if name not in ALIASES:
            raise ValueError(f"unknown failure kind {item!r}; known: {', '.join(sorted(ALIASES))}")
        if ALIASES[name] not in out:
            out.append(ALIASES[name])
    return tuple(out)


@dataclass(frozen=True)
class ServerOptions:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0            # latency is uniform in [latency - jitter, latency + jitter], ≥ 0
    failure_rate: float = 0.0         # probability that a request fails, 0..1
    failure_kinds: tuple[str, ...] = KINDS
    reply_words: int = 30
    seed: int = 0
    hang_s: float = 30.0              # a "timeout" failure hangs this long (set above the client timeout)
    model: str | None = None          # model name to report; default echoes the request's
    p_yes: float | None = 0.7         # logprobs=true: P("Yes") at the first position; None: send none
    schema_replies: bool = False      # a request that asks for a JSON schema gets JSON that fits it

    def __post_init__(self) -> None:
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError("failure_rate must be within 0..1")
        if self.latency_ms < 0 or self.jitter_ms < 0 or self.hang_s < 0:
            raise ValueError("latency_ms, jitter_ms and hang_s must be ≥ 0")
        if not 0 <= self.reply_words <= MAX_REPLY_WORDS:
            raise ValueError(f"reply_words must be within 0..{MAX_REPLY_WORDS}")
        object.__setattr__(self, "failure_kinds", parse_kinds(self.failure_kinds))


@dataclass(frozen=True)
class RequestPlan:
    index: int
    kind: str          # "ok" or one of KINDS
    delay_s: float     # latency before answering (for "timeout": the hang)


def plan_request(opts: ServerOptions, index: int) -> RequestPlan:
    rng = random.Random(f"{opts.seed}:{index}")
    jitter = rng.uniform(-opts.jitter_ms, opts.jitter_ms) if opts.jitter_ms else 0.0
    delay = max(0.0, opts.latency_ms + jitter) / 1000.0
    kind = "ok"
    if opts.failure_rate > 0 and opts.failure_kinds and rng.random() < opts.failure_rate:
        kind = opts.failure_kinds[rng.randrange(len(opts.failure_kinds))]
    if kind == "timeout":
        delay = opts.hang_s
    return RequestPlan(index=index, kind=kind, delay_s=delay)


def _last_text(messages: list) -> str:
    for m in reversed(messages or []):
        if isinstance(m, dict) and m.get("role") != "system" and isinstance(m.get("content"), str):
            return m["content"]
    return ""


def _fill(words: list[str], echo: list[str], n: int) -> str:
    out = list(words[:n])
    pool = echo + words if echo else words
    i = 0
    while len(out) < n and pool:  # bounded: adds one word per pass, stops at n
        out.append(pool[i % len(pool)])
        i += 1
    return " ".join(out)


def reply_text(messages: list, n_words: int, *, wrong_language: bool = False) -> str:
    """n_words words: warm filler plus an echo of the last message (so the reply 'engages')."""
    last = _last_text(messages)
    echo = [w for w in _TOKEN.findall(last)][:200]
    if wrong_language:
        # Another script than the conversation's: Chinese for a Latin-script chat, else English.
        other = _ENGLISH if _CJK.search(last) else _OTHER_SCRIPT
        return _fill(other, [], n_words)
    return _fill(_WARM, echo, n_words)


def count_words(messages: list) -> int:
    total = 0
    for m in messages or []:
        if isinstance(m, dict) and isinstance(m.get("content"), str):
            total += len(m["content"].split())
    return total


@dataclass
class Counters:
    """Requests served, by kind ("ok", a failure kind, or "bad_request")."""

    total: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str) -> None:
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1

    def snapshot(self) -> dict:
        return {"total": self.total, "by_kind": dict(self.by_kind)}
