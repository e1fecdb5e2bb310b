"""Tokens-per-minute limit: the bucket's arithmetic on a fake clock, and the Gateway honouring it."""

import asyncio

import pytest

from simulator.llm.call import Gateway
from simulator.llm.rate_limit import TokenBucket, estimate_tokens
from simulator.core.records import ModelSpec


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    async def sleep(self, s: float) -> None:
        self.t += s
        await asyncio.sleep(0)


def test_bucket_starts_full_then_charges_debt():
    clock = FakeClock()
    b = TokenBucket(600, clock=clock)  # 10 tokens/s
    assert b.reserve(600) == (600, 0.0)
    taken, wait = b.reserve(50)
    assert taken == 50 and wait == pytest.approx(5.0)
    # the next caller queues behind the first one's debt
    assert b.reserve(10)[1] == pytest.approx(6.0)
    clock.t = 6.0
    assert b.reserve(0)[1] == pytest.approx(0.0)


def test_bucket_refills_but_never_above_a_minute():
    clock = FakeClock()
    b = TokenBucket(60, clock=clock)
    b.reserve(60)
    clock.t = 30.0
    assert b.reserve(30)[1] == pytest.approx(0.0)
    clock.t = 10_000.0
    assert b.reserve(60)[1] == pytest.approx(0.0)
    assert b.reserve(1)[1] == pytest.approx(1.0)


def test_oversized_call_waits_for_a_full_bucket_not_forever():
    clock = FakeClock()
    b = TokenBucket(100, clock=clock)
    taken, wait = b.reserve(10_000)
    assert taken == 100 and wait == 0.0
    assert b.reserve(10_000) == (100, pytest.approx(60.0))


def test_settle_refunds_an_overestimate():
    clock = FakeClock()
    b = TokenBucket(100, clock=clock)
    b.reserve(100)
    b.settle(100, 40)
    assert b.level == pytest.approx(60.0)
    b.settle(0, 0)
    assert b.level == pytest.approx(60.0)


def test_bad_limit_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        TokenBucket(0)


def test_estimate_counts_prompt_and_completion_budget():
    msgs = [{"role": "user", "content": "x" * 400}, {"role": "user", "content": [{"type": "text", "text": "y" * 40}]}]
    assert estimate_tokens(msgs, 50) == 100 + 10 + 8 + 50


def _calls_under_limit(fake, per_minute: int, n: int):
    clock = FakeClock()
    sent: list[float] = []

    def respond(messages, params):
        sent.append(clock.t)
        return "one two three four"  # 4 completion tokens

    fake.set("tpm", respond)
    g = Gateway(tokens_per_minute=per_minute, clock=clock, sleep=clock.sleep, max_in_flight=64)
    spec = ModelSpec(model="fake/tpm", max_tokens=100)
    msgs = [{"role": "user", "content": "word " * 20}]

    async def main():
        return await asyncio.gather(*(g.complete(spec, msgs, role="subject", seed=i) for i in range(n)))

    out = asyncio.run(main())
    return g, sent, out


def test_gateway_spreads_calls_to_the_tokens_per_minute_limit(fake):
    # each call reserves 20*5/4 + 4 + 100 = 129 tokens and really uses 20 + 4 = 24
    g, sent, out = _calls_under_limit(fake, per_minute=300, n=10)
    assert len(out) == 10 and len(sent) == 10
    assert g.rate_wait_s > 0
    # the bucket admits at most the minute's allowance plus what has dripped in since
    for i, t in enumerate(sorted(sent)):
        reserved_so_far = 129 * (i + 1) - (129 - 24) * i  # earlier calls settled to their real use
        assert reserved_so_far <= 300 + t * 300 / 60 + 1e-6
    assert max(sent) > 0  # someone had to wait on the fake clock


def test_no_limit_means_no_wait(fake):
    clock = FakeClock()
    fake.set("free", lambda m, p: "ok")
    g = Gateway(clock=clock, sleep=clock.sleep)
    asyncio.run(g.complete(ModelSpec(model="fake/free"), [{"role": "user", "content": "hi"}], role="subject"))
    assert g.rate_wait_s == 0 and clock.t == 0


def test_local_models_are_not_rate_limited():
    g = Gateway(tokens_per_minute=10)
    assert g._bucket(ModelSpec(model="local/smollm2-135m")) is None
    assert g._bucket(ModelSpec(model="openai/gpt-4o-mini")) is not None


def test_config_knob_reaches_the_gateway():
    from simulator.run.config import RunConfig
    from simulator.run.runner import make_gateway

    cfg = RunConfig.model_validate({"models": {"persona": {"model": "fake/p"}, "subject": {"model": "fake/s"},
                                               "judge": {"model": "fake/j"}},
                                    "run": {"tokens_per_minute_per_model": 5000, "cache": False}})
    assert make_gateway(cfg).tokens_per_minute == 5000
    with pytest.raises(ValueError):
        RunConfig.model_validate({"models": cfg.models.model_dump(), "run": {"tokens_per_minute_per_model": 0}})
