"""The AMX guard of the local provider: llama.cpp's extra CPU buffer types stay off where the CPU
has AMX (they segfault there in the first decode), and the default parameters are restored."""

import llama_cpp
import llama_cpp.llama_cpp as ll

from simulator.llm.local_provider import _model_params, extra_buffers_allowed, local_provider

AMX = "CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | REPACK = 1 |"
NO_AMX = "CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | REPACK = 1 |"


def test_off_where_the_cpu_has_amx_and_the_setting_wins():
    assert extra_buffers_allowed(NO_AMX, None) is True
    assert extra_buffers_allowed(AMX, None) is False
    assert extra_buffers_allowed(AMX, "1") is True
    assert extra_buffers_allowed(NO_AMX, "0") is False
    assert extra_buffers_allowed(AMX, "yes") is False  # anything else: the guess


def test_the_adjusted_parameters_hold_only_while_a_model_loads():
    before = ll.llama_model_default_params
    with _model_params(False):
        assert ll.llama_model_default_params().use_extra_bufts is False
    with _model_params(True):
        assert ll.llama_model_default_params().use_extra_bufts is True
    assert ll.llama_model_default_params is before


def test_the_embedded_model_answers_on_this_machine():
    """The real load path with the guard applied to this CPU: a decode that returns text."""
    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    assert isinstance(extra_buffers_allowed(info, None), bool)
    out = local_provider().generate("smollm2-135m", [{"role": "user", "content": "Say hello."}],
                                    {"temperature": 0.0, "max_tokens": 4, "seed": 0})
    assert out["choices"][0]["message"]["content"].strip()
