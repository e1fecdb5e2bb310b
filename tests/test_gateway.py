"""The one call site: retries, typed errors, cache, usage, redaction — all through litellm."""

import asyncio

import litellm
import pytest

from simulator.llm.cache import CallCache
from simulator.llm.call import Gateway, ModelCallError, classify, missing_key
from simulator.llm.redact import redact
from simulator.core.records import ModelSpec

MSG = [{"role": "user", "content": "hello"}]


def flaky(failures):
    """Responder that raises the given exceptions in order, then answers."""
    state = {"n": 0}

    def respond(messages, params):
        i = state["n"]
        state["n"] += 1
        if i < len(failures):
            raise failures[i]
        return f"ok after {i}"

    return respond, state


def rate_limit():
    return litellm.RateLimitError(message="slow down", model="x", llm_provider="fake")


def server_error():
    return litellm.InternalServerError(message="boom", model="x", llm_provider="fake")


def run(coro):
    return asyncio.run(coro)


def test_retries_rate_limit_and_server_error(fake):
    respond, state = flaky([rate_limit(), server_error()])
    fake.set("m", respond)
    g = Gateway(retries=3, backoff_s=0.0)
    out = run(g.complete(ModelSpec(model="fake/m"), MSG, role="subject"))
    assert out.text == "ok after 2" and state["n"] == 3


def test_gives_up_after_retries_with_typed_error(fake):
    respond, state = flaky([rate_limit()] * 10)
    fake.set("m", respond)
    g = Gateway(retries=2, backoff_s=0.0)
    with pytest.raises(ModelCallError) as e:
        run(g.complete(ModelSpec(model="fake/m"), MSG, role="subject"))
    assert e.value.info.kind == "rate_limit" and e.value.info.role == "subject"
    assert state["n"] == 3  # first try + 2 retries


def test_auth_error_is_not_retried(fake):
    respond, state = flaky([litellm.AuthenticationError(message="bad key", model="x", llm_provider="fake")] * 3)
    fake.set("m", respond)
    with pytest.raises(ModelCallError) as e:
        run(Gateway(retries=3, backoff_s=0.0).complete(ModelSpec(model="fake/m"), MSG, role="judge"))
    assert e.value.info.kind == "auth" and state["n"] == 1


def test_empty_reply_is_an_error_not_text(fake):
    fake.set("m", lambda m, p: "   ")
    with pytest.raises(ModelCallError) as e:
        run(Gateway(backoff_s=0.0).complete(ModelSpec(model="fake/m"), MSG, role="subject"))
    assert e.value.info.kind == "empty_reply"


def test_cache_serves_identical_calls(fake, tmp_path):
    calls = {"n": 0}

    def respond(messages, params):
        calls["n"] += 1
        return "cached answer"

    fake.set("m", respond)
    cache = CallCache(tmp_path / "c.sqlite3")
    g = Gateway(cache=cache, backoff_s=0.0)
    spec = ModelSpec(model="fake/m", temperature=0.3)
    a = run(g.complete(spec, MSG, role="subject", seed=1))
    b = run(g.complete(spec, MSG, role="subject", seed=1))
    c = run(g.complete(spec, MSG, role="subject", seed=2))  # other seed: a new call
    assert (a.cached, b.cached, c.cached) == (False, True, False)
    assert b.text == "cached answer" and calls["n"] == 2
    assert g.totals["subject"].cached_calls == 1 and g.totals["subject"].calls == 3
    # A new gateway over the same file (a re-run) pays nothing.
    g2 = Gateway(cache=CallCache(tmp_path / "c.sqlite3"), backoff_s=0.0)
    assert run(g2.complete(spec, MSG, role="subject", seed=1)).cached
    assert calls["n"] == 2


def test_cache_can_be_bypassed(fake, tmp_path):
    n = {"calls": 0}
    fake.set("m", lambda m, p: n.__setitem__("calls", n["calls"] + 1) or "x")
    g = Gateway(cache=CallCache(tmp_path / "c.sqlite3"), backoff_s=0.0)
    for _ in range(2):
        run(g.complete(ModelSpec(model="fake/m"), MSG, role="subject", use_cache=False))
    assert n["calls"] == 2


def test_params_reach_the_provider(fake):
    fake.set("m", lambda m, p: "x")
    spec = ModelSpec(model="fake/m", temperature=0.25, max_tokens=33)
    run(Gateway().complete(spec, MSG, role="persona", seed=7, response_format={"type": "json_object"}))
    _, _, params = fake.calls[-1]
    assert params["temperature"] == 0.25 and params["max_tokens"] == 33 and params["seed"] == 7
    assert params["response_format"] == {"type": "json_object"}


def test_classify_by_status_code():
    class E(Exception):
        status_code = 503

    assert classify(E()) == "server_error"
    assert classify(asyncio.TimeoutError()) == "timeout"


def test_missing_key_detection(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert missing_key(ModelSpec(model="anthropic/claude-3-5-sonnet-latest")) == "ANTHROPIC_API_KEY"
    monkeypatch.setenv("OPENAI_API_KEY", "")
    assert missing_key(ModelSpec(model="openai/gpt-4o-mini")) == "OPENAI_API_KEY"
    # A self-hosted OpenAI-compatible server needs no key; nor does the embedded model.
    assert missing_key(ModelSpec(model="openai/llama", api_base="http://127.0.0.1:8000/v1")) is None
    assert missing_key(ModelSpec(model="local/smollm2-135m")) is None
    assert missing_key(ModelSpec(model="ollama/llama3")) is None


def test_redaction(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefghijklmnop")
    text = "Incorrect API key provided: sk-test-abcdefghijklmnop. Authorization: Bearer abcdef123456789"
    out = redact(text)
    assert "sk-test-abcdefghijklmnop" not in out and "abcdef123456789" not in out
    assert "[REDACTED]" in out


def test_provider_error_message_is_redacted(fake, monkeypatch):
    monkeypatch.setenv("MYPROVIDER_API_KEY", "supersecretvalue123")
    fake.set("m", lambda m, p: (_ for _ in ()).throw(
        litellm.AuthenticationError(message="key supersecretvalue123 rejected", model="x", llm_provider="fake")))
    with pytest.raises(ModelCallError) as e:
        run(Gateway(backoff_s=0.0).complete(ModelSpec(model="fake/m"), MSG, role="subject"))
    assert "supersecretvalue123" not in str(e.value)
