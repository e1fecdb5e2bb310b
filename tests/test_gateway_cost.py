"""Gateway cost accounting reads the price litellm put on the response, priced or not.

Loopback server on 127.0.0.1 only (pytest-socket's allow_hosts marker), as in test_loopback_server.
"""

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for `bench`

import litellm  # noqa: E402

from bench.loopback_server import LoopbackServer  # noqa: E402
from simulator.llm.call import Gateway, shutdown_litellm  # noqa: E402
from simulator.core.records import ModelSpec  # noqa: E402

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

MSG = [{"role": "user", "content": "can't sleep again, everyone says i'm doing so well"}]


def _call(model: str):
    """One Gateway call and the raw litellm response it was made from (the same request)."""
    with LoopbackServer(reply_words=9) as server:
        spec = ModelSpec(model=model, api_base=server.url, max_tokens=32)

        async def main():
            try:
                out = await Gateway(retries=0, backoff_s=0.0).complete(spec, MSG, role="subject")
                raw = await litellm.acompletion(model=model, messages=MSG, api_base=server.url,
                                                api_key="not-needed", max_tokens=32, max_retries=0)
                return out, raw
            finally:
                await shutdown_litellm()

        return asyncio.run(main())


def test_a_priced_model_costs_what_litellm_prices_it_at():
    out, raw = _call("openai/gpt-4o-mini")
    expected = litellm.completion_cost(completion_response=raw)
    assert expected > 0
    assert out.usage.cost_usd == pytest.approx(expected)


def test_an_unpriced_model_costs_nothing_and_is_not_an_error():
    out, raw = _call("openai/self-hosted-thing")
    assert raw._hidden_params.get("response_cost") in (None, 0, 0.0)
    assert out.usage.cost_usd == 0.0 and out.usage.calls == 1
