"""`inspect/<model>`: a litellm custom provider whose completions are inspect_ai model calls.

Inside an inspect eval, the subject is whatever model inspect was given (`--model`, any inspect
provider). Routing it through litellm keeps this project's one call site (simulator/llm/call.py:
bounds, usage, typed errors) while inspect's own model layer does the call, so the call shows in
`inspect view` and inspect's generation settings (--temperature, --max-tokens, its cache) apply.
`inspect/model` is the eval's model under test; `inspect/<provider>/<name>` any other inspect model.
"""

from __future__ import annotations

import simulator.llm  # noqa: F401  (offline env before litellm import)
import litellm
from litellm import CustomLLM

from simulator.llm.providers import register_provider

PROVIDER = "inspect"
SUBJECT = f"{PROVIDER}/model"


def to_inspect_messages(messages: list[dict]) -> list:
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser

    kinds = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}
    out = []
    for m in messages:
        if m.get("role") not in kinds:
            raise ValueError(f"inspect provider: message role {m.get('role')!r} is not system, user or assistant")
        out.append(kinds[m["role"]](content=m.get("content") or ""))
    return out


class InspectModelProvider(CustomLLM):
    async def acompletion(self, model, messages, api_base, custom_prompt_dict, model_response, print_verbose,
                          encoding, api_key, logging_obj, optional_params, *a, **k):
        from inspect_ai.model import get_model

        # our ModelSpec's temperature and max_tokens are not passed: inspect's settings rule here
        target = get_model() if model in ("", "model") else get_model(model)
        output = await target.generate(to_inspect_messages(messages))
        if output.error:
            raise RuntimeError(f"inspect model {target}: {output.error}")
        model_response.choices[0].message.content = output.completion
        u = output.usage
        model_response.usage = litellm.Usage(prompt_tokens=u.input_tokens if u else 0,
                                             completion_tokens=u.output_tokens if u else 0, total_tokens=0)
        return model_response

    def completion(self, *a, **k):
        raise NotImplementedError("the inspect provider is async only (inspect runs on an event loop)")


def ensure_inspect_provider() -> None:
    if not any(item["provider"] == PROVIDER for item in litellm.custom_provider_map):
        register_provider(PROVIDER, InspectModelProvider())
