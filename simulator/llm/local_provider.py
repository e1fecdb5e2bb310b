"""The in-process `local/…` litellm provider, backed by llama-cpp-python and embedded weights.

Registered through litellm.custom_provider_map, so `local/qwen2.5-1.5b` goes through exactly the
same litellm call site as `openai/gpt-4o`. Llama objects are not thread-safe: one lock per model.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
import time
from contextlib import contextmanager
from typing import Any

import litellm
from litellm import CustomLLM, ModelResponse
from litellm.llms.custom_llm import CustomLLMError
from litellm.types.utils import ChoiceLogprobs

from simulator.llm.prefix_cache import PrefixStates
from simulator.llm.weights import BUILTIN_MODELS, WeightsError, weights_path

# Parameters llama-cpp's create_chat_completion understands; everything else is dropped.
_PASSTHROUGH = ("temperature", "top_p", "max_tokens", "stop", "seed", "response_format", "top_k")


def _llama_class():
    from llama_cpp import Llama  # heavy import, only when a local model is used

    class PrefixLlama(Llama):
        """Llama whose prompt evaluation goes through PrefixStates (repeatable prefix reuse)."""

        prefix: PrefixStates | None = None

        def generate(self, tokens, *args, reset: bool = True, **kwargs):
            if reset and self.prefix is not None:
                self.prefix.prepare(list(tokens))
            return super().generate(tokens, *args, reset=reset, **kwargs)

    return PrefixLlama


def extra_buffers_allowed(system_info: str, setting: str | None) -> bool:
    """Whether llama.cpp may put weights in its extra CPU buffer types (AMX tiles, repacked layouts).

    Not where the CPU backend reports AMX: on an Intel Xeon with AMX (a 2-core VM of the project's
    kind, 2026-12-03) llama-cpp-python 0.3.36 built from source segfaults in its first decode with
    them and runs with them off. EMPATHY_SIM_EXTRA_BUFTS=1 or 0 overrides the guess.
    """
    if setting in ("0", "1"):
        return setting == "1"
    return "AMX_INT8 = 1" not in system_info


@contextmanager
def _model_params(extra_buffers: bool):
    """llama-cpp-python's Llama() exposes no use_extra_bufts argument: it builds its parameters from
    llama_model_default_params(), so that is what is adjusted while one model loads."""
    import llama_cpp.llama_cpp as ll

    default = ll.llama_model_default_params

    def adjusted():
        params = default()
        params.use_extra_bufts = extra_buffers
        return params

    ll.llama_model_default_params = adjusted
    try:
        yield
    finally:
        ll.llama_model_default_params = default


def raw_completion(llama: Any, messages: list[dict], kwargs: dict) -> dict:
    """Continue the last message's text as it stands, with no chat template (a script the model
    carries on, e.g. "Maya: ...\nFriend: ...\nMaya:"). Asked for with the litellm parameter
    `raw_completion=True`; answered in the chat shape so the rest of the provider is unchanged."""
    kwargs = {k: v for k, v in kwargs.items() if k != "response_format"}
    out = llama.create_completion(prompt=messages[-1]["content"], **kwargs)
    choice = out["choices"][0]
    return {"choices": [{"message": {"role": "assistant", "content": choice.get("text") or ""},
                         "finish_reason": choice.get("finish_reason")}],
            "usage": out.get("usage") or {}}


class _Loaded:
    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.lock = threading.Lock()
        self._formatter: Any = None

    def prompt_tokens(self, messages: list[dict]) -> tuple[list[int], int]:
        """The chat prompt's tokens (generation prompt added) and where its last message starts.

        The start of the last message is the mark that lets several questions asked after one
        shared context reuse that context's state (PrefixStates marks). 0 when the template does
        not render the earlier messages as an exact token prefix of the whole prompt.
        """
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            meta = self.llama.metadata
            vocab = self.llama._model
            self._formatter = Jinja2ChatFormatter(
                template=meta["tokenizer.chat_template"],
                eos_token=vocab.token_get_text(vocab.token_eos()),
                bos_token=vocab.token_get_text(vocab.token_bos()),
            )

        def tokens(msgs: list[dict], generation: bool) -> list[int]:
            self._formatter.add_generation_prompt = generation
            out = self._formatter(messages=msgs)
            return self.llama.tokenize(out.prompt.encode("utf-8"), add_bos=not out.added_special, special=True)

        full = tokens(messages, True)
        head = tokens(messages[:-1], False) if len(messages) > 1 else []
        return full, len(head) if head and full[: len(head)] == head else 0


class LocalProvider(CustomLLM):
    def __init__(self) -> None:
        super().__init__()
        self._models: dict[str, _Loaded] = {}
        self._load_lock = threading.Lock()
        atexit.register(self.close)

    def _get(self, name: str) -> _Loaded:
        with self._load_lock:
            if name not in self._models:
                if name not in BUILTIN_MODELS:
                    known = ", ".join(f"local/{n}" for n in BUILTIN_MODELS)
                    raise CustomLLMError(404, f"unknown local model 'local/{name}'; built-in: {known}")
                try:
                    path = weights_path(name)
                except WeightsError as e:
                    raise CustomLLMError(500, str(e)) from None
                threads = int(os.environ.get("EMPATHY_SIM_THREADS", os.cpu_count() or 1))
                cls = _llama_class()
                import llama_cpp

                extra = extra_buffers_allowed(llama_cpp.llama_print_system_info().decode(errors="replace"),
                                              os.environ.get("EMPATHY_SIM_EXTRA_BUFTS"))
                with _model_params(extra):
                    llama = cls(model_path=str(path), n_ctx=BUILTIN_MODELS[name].n_ctx, n_threads=threads,
                                seed=0, verbose=False)
                cache_mb = int(os.environ.get("EMPATHY_SIM_PREFIX_CACHE_MB", "512"))
                if cache_mb > 0:
                    llama.prefix = PrefixStates(llama, max_bytes=cache_mb << 20)
                self._models[name] = _Loaded(llama)
            return self._models[name]

    def forget_prefixes(self) -> None:
        """Drop every kept prefix state (benchmarks that compare methods from the same start)."""
        for loaded in self._models.values():
            with loaded.lock:
                if getattr(loaded.llama, "prefix", None) is not None:
                    loaded.llama.prefix.clear()

    def generate(self, name: str, messages: list[dict], params: dict) -> dict:
        """Run one chat completion; returns llama-cpp's OpenAI-shaped dict."""
        loaded = self._get(name)
        kwargs = {k: params[k] for k in _PASSTHROUGH if params.get(k) is not None}
        with loaded.lock:
            # reset() drops whatever the last call left; PrefixStates then restores only
            # prefixes computed along the one fixed path, so the same call gives the same output.
            loaded.llama.reset()
            if params.get("raw_completion"):
                return raw_completion(loaded.llama, messages, kwargs)
            return loaded.llama.create_chat_completion(messages=messages, **kwargs)

    def next_token_logprobs(self, name: str, messages: list[dict], top_n: int) -> dict:
        """The distribution of the first answer token, read at the last prompt position.

        One forward pass over the prompt (no sampling, no logits_all): what a probability judge
        needs. Returned in the OpenAI chat shape (choices[0].logprobs.content[0].top_logprobs),
        so callers read local and remote logprobs alike.
        """
        import numpy as np
        from llama_cpp import llama_cpp

        loaded = self._get(name)
        with loaded.lock:
            llama = loaded.llama
            tokens, mark = loaded.prompt_tokens(messages)
            if len(tokens) >= llama.n_ctx():
                raise CustomLLMError(400, f"prompt of {len(tokens)} tokens exceeds the context window "
                                          f"({llama.n_ctx()}) of local/{name}")
            done = llama.prefix.prepare(tokens, marks=(mark,)) if llama.prefix is not None else 0
            if llama.prefix is None:
                llama.reset()
            llama.eval(tokens[done:])
            n_vocab = llama.n_vocab()
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1),
                                           shape=(n_vocab,)).astype(np.float64)
            llama.reset()
        logits -= logits.max()
        logp = logits - np.log(np.exp(logits).sum())
        top = np.argsort(-logp)[: max(1, top_n)]
        items = [{"token": llama.detokenize([int(i)], special=True).decode("utf-8", "replace"),
                  "logprob": float(logp[i])} for i in top]
        return {
            "choices": [{"message": {"content": items[0]["token"]}, "finish_reason": "length",
                         "logprobs": {"content": [{**items[0], "top_logprobs": items}]}}],
            "usage": {"prompt_tokens": len(tokens), "completion_tokens": 1, "total_tokens": len(tokens) + 1},
        }

    def _respond(self, model: str, messages: list, optional_params: dict, model_response: ModelResponse) -> ModelResponse:
        name = model.split("/", 1)[1] if model.startswith("local/") else model
        start = time.perf_counter()
        if optional_params.get("logprobs"):
            # Scoring, not writing: only the next-token distribution is asked for.
            out = self.next_token_logprobs(name, messages, int(optional_params.get("top_logprobs") or 20))
        else:
            out = self.generate(name, messages, optional_params)
        choice = out["choices"][0]
        model_response.choices[0].message.content = choice["message"].get("content") or ""  # type: ignore[union-attr]
        model_response.choices[0].finish_reason = choice.get("finish_reason") or "stop"
        if choice.get("logprobs"):
            model_response.choices[0].logprobs = ChoiceLogprobs(**choice["logprobs"])  # type: ignore[union-attr]
        usage = out.get("usage") or {}
        model_response.usage = litellm.Usage(  # type: ignore[attr-defined]
            prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
            total_tokens=usage.get("total_tokens", 0),
        )
        model_response.model = f"local/{name}"
        model_response._hidden_params["local_latency_s"] = time.perf_counter() - start
        return model_response

    def completion(self, model, messages, api_base, custom_prompt_dict, model_response, print_verbose,
                   encoding, api_key, logging_obj, optional_params, *args, **kwargs) -> ModelResponse:
        return self._respond(model, messages, optional_params, model_response)

    async def acompletion(self, model, messages, api_base, custom_prompt_dict, model_response,
                          print_verbose, encoding, api_key, logging_obj, optional_params, *args,
                          **kwargs) -> ModelResponse:
        return await asyncio.to_thread(self._respond, model, messages, optional_params, model_response)

    def close(self) -> None:
        with self._load_lock:
            for loaded in self._models.values():
                with loaded.lock:
                    loaded.llama.close()
            self._models.clear()


_PROVIDER: LocalProvider | None = None


def local_provider() -> LocalProvider:
    global _PROVIDER
    if _PROVIDER is None:
        _PROVIDER = LocalProvider()
    return _PROVIDER
