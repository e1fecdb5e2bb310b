"""An in-process, zero-latency litellm provider, registered like tests/fakes.py registers `fake/`.

`zero/<anything>` answers at once with a fixed reply and usage, so a benchmark over it measures
only the framework and litellm: no network, no model, no sleeping.
"""

from __future__ import annotations

import simulator.llm  # noqa: F401  (offline env before litellm import)
import litellm
from litellm import CustomLLM

from simulator.llm.providers import register_provider

PROVIDER = "zero"
REPLY = "that sounds really hard, and it makes sense that you feel worn out by it"


class ZeroProvider(CustomLLM):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def _respond(self, model_response):
        self.calls += 1
        model_response.choices[0].message.content = REPLY
        model_response.usage = litellm.Usage(prompt_tokens=20, completion_tokens=14, total_tokens=34)
        return model_response

    def completion(self, model, messages, api_base, custom_prompt_dict, model_response, print_verbose,
                   encoding, api_key, logging_obj, optional_params, *a, **k):
        return self._respond(model_response)

    async def acompletion(self, model, messages, api_base, custom_prompt_dict, model_response,
                          print_verbose, encoding, api_key, logging_obj, optional_params, *a, **k):
        return self._respond(model_response)


def install() -> ZeroProvider:
    provider = ZeroProvider()
    register_provider(PROVIDER, provider)
    return provider
