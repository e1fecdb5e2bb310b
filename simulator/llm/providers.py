"""Registration of in-process litellm providers (the embedded `local/` one, and test fakes)."""

from __future__ import annotations

import simulator.llm  # noqa: F401  (offline env before litellm import)
import litellm
from litellm import CustomLLM


def register_provider(name: str, handler: CustomLLM) -> None:
    """Route `name/<model>` through handler; re-registering a name replaces the old handler."""
    litellm.custom_provider_map = [
        item for item in litellm.custom_provider_map if item["provider"] != name
    ] + [{"provider": name, "custom_handler": handler}]


def ensure_local_provider() -> None:
    from simulator.llm.local_provider import local_provider

    if not any(item["provider"] == "local" for item in litellm.custom_provider_map):
        register_provider("local", local_provider())


def is_embedded(model: str) -> bool:
    """The built-in `local/` llama models: no provider quota, and they already use every core."""
    return model.split("/", 1)[0] == "local"


def is_in_process(model: str) -> bool:
    provider = model.split("/", 1)[0]
    return any(item["provider"] == provider for item in litellm.custom_provider_map) or is_embedded(model)
