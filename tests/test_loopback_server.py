"""The loopback OpenAI-compatible server used by the benchmarks, exercised through the real Gateway.

Sockets are allowed for these tests to 127.0.0.1 only (pytest-socket's allow_hosts marker; the
suite otherwise runs with --disable-socket). Nothing else is ever contacted.
"""

import asyncio
import hashlib
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for `bench`

from bench.loopback_plan import ServerOptions, plan_request  # noqa: E402
from bench.loopback_server import LoopbackServer  # noqa: E402
from simulator.llm.call import Gateway, ModelCallError, shutdown_litellm  # noqa: E402
from simulator.core.records import ModelSpec  # noqa: E402

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

MSG = [{"role": "user", "content": "can't sleep again, everyone says i'm doing so well"}]


def complete(gateway: Gateway, spec: ModelSpec):
    async def main():
        try:
            return await gateway.complete(spec, MSG, role="subject")
        finally:
            await shutdown_litellm()

    return asyncio.run(main())


def test_answers_a_litellm_call_through_the_gateway_with_the_configured_length():
    with LoopbackServer(reply_words=7) as server:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/v1")
        spec = ModelSpec(model="openai/anything", api_base=server.url, max_tokens=32)
        out = complete(Gateway(retries=0, backoff_s=0.0), spec)
        stats = server.stats()
    assert len(out.text.split()) == 7
    assert out.usage.completion_tokens == 7 and out.usage.prompt_tokens == len(MSG[0]["content"].split())
    assert stats == {"total": 1, "by_kind": {"ok": 1}}


def test_full_429_rate_gives_up_with_rate_limit_after_retries_and_counts_every_try():
    retries = 2
    with LoopbackServer(failure_rate=1.0, failure_kinds="429") as server:
        spec = ModelSpec(model="openai/x", api_base=server.url)
        with pytest.raises(ModelCallError) as e:
            complete(Gateway(retries=retries, backoff_s=0.0), spec)
        stats = server.stats()
    assert e.value.info.kind == "rate_limit" and e.value.info.role == "subject"
    assert stats == {"total": retries + 1, "by_kind": {"rate_limit": retries + 1}}


def test_gateway_alone_decides_how_often_a_request_is_retried():
    # litellm would hand its OpenAI client max_retries=2 (3 requests per Gateway attempt) unless
    # the call site passes max_retries=0; the server's counter shows which happened.
    with LoopbackServer(failure_rate=1.0, failure_kinds="500") as server:
        spec = ModelSpec(model="openai/x", api_base=server.url)
        with pytest.raises(ModelCallError):
            complete(Gateway(retries=0, backoff_s=0.0), spec)
        assert server.stats()["total"] == 1


def test_a_hanging_request_becomes_a_timeout_and_the_server_still_stops():
    with LoopbackServer(failure_rate=1.0, failure_kinds="timeout", hang_s=5.0) as server:
        spec = ModelSpec(model="openai/x", api_base=server.url, timeout_s=0.3)
        with pytest.raises(ModelCallError) as e:
            complete(Gateway(retries=0, backoff_s=0.0), spec)
    assert e.value.info.kind == "timeout"


def _post_many(server: LoopbackServer, n: int) -> list[tuple[int, str]]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    body = b'{"model": "x", "messages": [{"role": "user", "content": "hello there"}]}'
    seen = []
    for _ in range(n):
        req = urllib.request.Request(f"{server.url}/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
        try:
            with opener.open(req, timeout=10) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        raw = raw.replace(b'"created": ', b'"created-ignored": ')
        digest = hashlib.sha256(raw.split(b'"created-ignored": ')[0]).hexdigest()[:12]
        seen.append((status, digest))
    return seen


def test_failure_selection_is_deterministic_for_a_seed():
    opts = dict(failure_rate=0.5, failure_kinds="429,500,empty,truncated,non_json,wrong_language", seed=7)
    runs = []
    for seed in (7, 7, 8):
        with LoopbackServer(**{**opts, "seed": seed}) as server:
            runs.append((_post_many(server, 40), server.stats()))
    (a, stats_a), (b, stats_b), (c, _) = runs
    assert a == b and stats_a == stats_b
    assert a != c  # another seed, another sequence
    assert stats_a["total"] == 40 and len(stats_a["by_kind"]) >= 4  # a mix of kinds, ok included
    expected = [plan_request(ServerOptions(**opts), i).kind for i in range(40)]
    assert sum(stats_a["by_kind"].values()) == 40
    assert {k: expected.count(k) for k in set(expected)} == stats_a["by_kind"]


def test_probability_judge_reads_openai_logprobs_over_http_and_fails_loudly_without():
    """A remote OpenAI-compatible provider: litellm's normalised logprobs reach the judge; a
    server that ignores logprobs=true makes the call fail as no_logprobs (never a sampled guess)."""
    from judges.llm_judges.answers import read_yes_no

    async def ask(gateway, spec):
        try:
            return await gateway.complete(spec, MSG, role="judge", logprobs=5)
        finally:
            await shutdown_litellm()

    with LoopbackServer(p_yes=0.8) as server:
        spec = ModelSpec(model="openai/anything", api_base=server.url, max_tokens=32)
        out = asyncio.run(ask(Gateway(retries=0, backoff_s=0.0), spec))
    assert read_yes_no(out.top_logprobs).p_yes == pytest.approx(0.8, abs=1e-6)
    with LoopbackServer(p_yes=None) as server:
        spec = ModelSpec(model="openai/anything", api_base=server.url, max_tokens=32)
        with pytest.raises(ModelCallError) as err:
            asyncio.run(ask(Gateway(retries=0, backoff_s=0.0), spec))
    assert err.value.info.kind == "no_logprobs"
