"""Prefix reuse on the embedded model: faster repeated prefixes, the same output whatever ran before.

Runs the real SmolLM2 weights with a small chunk so a few hundred prompt tokens span many chunks.
"""

import numpy as np
import pytest

from simulator.llm.local_provider import local_provider
from simulator.llm.prefix_cache import PrefixStates

NAME = "smollm2-135m"
SYSTEM = {"role": "system", "content": "You keep a ledger. " + " ".join(
    f"Entry {i}: the {['red', 'blue', 'green'][i % 3]} box holds {i * 3} coins." for i in range(40))}


@pytest.fixture()
def llama():
    provider = local_provider()
    llama = provider._get(NAME).llama
    saved = llama.prefix
    llama.prefix = PrefixStates(llama, chunk=32)
    yield provider, llama
    llama.prefix = saved


def ask(provider, question: str) -> str:
    out = provider.generate(NAME, [SYSTEM, {"role": "user", "content": question}],
                            {"temperature": 0.0, "max_tokens": 16, "seed": 0})
    return out["choices"][0]["message"]["content"]


def test_same_call_same_output_whatever_ran_before(llama):
    provider, model = llama
    first = ask(provider, "What does the blue box hold in entry 4?")
    chunks_cold = model.prefix.evaluated_chunks
    assert chunks_cold >= 5  # the prompt spans several chunks
    other = ask(provider, "Which box is in entry 9?")  # same system prefix, another question
    assert model.prefix.hits >= 1
    chunks_before = model.prefix.evaluated_chunks
    again = ask(provider, "What does the blue box hold in entry 4?")
    assert again == first
    assert model.prefix.evaluated_chunks - chunks_before < chunks_cold  # prefix reused, not re-evaluated
    model.prefix.clear()  # a cold cache takes the same path, so gives the same answer
    assert ask(provider, "What does the blue box hold in entry 4?") == first
    assert other  # a real reply, not an empty string


def test_cache_stays_under_its_byte_cap(llama):
    provider, model = llama
    model.prefix = PrefixStates(model, chunk=32, max_bytes=20 << 20)
    ask(provider, "How many coins are in entry 30?")
    assert 0 < model.prefix._bytes <= 20 << 20


def test_keys_are_shared_by_prompts_with_a_common_prefix(llama):
    _, model = llama
    states = PrefixStates(model, chunk=4)
    a = list(range(100, 120))
    b = a[:9] + [7, 7, 7, 7, 7, 7, 7]
    ka, kb = states._keys(a, [4, 8, 12, 16]), states._keys(b, [4, 8, 12])
    assert ka[:2] == kb[:2] and ka[2] != kb[2]
    assert states._keys(list(np.arange(8)), [4, 8]) == states._keys(list(range(8)), [4, 8])
    with pytest.raises(ValueError, match="chunk"):
        PrefixStates(model, chunk=model.n_batch + 1)


def test_a_mark_is_its_own_path(llama):
    """The same tokens split at a mark get other keys: a state is reused only along its path."""
    _, model = llama
    states = PrefixStates(model, chunk=4)
    toks = list(range(200, 213))
    assert states._bounds(len(toks), ()) == [4, 8, 12]
    assert states._bounds(len(toks), (6, 13, 0)) == [4, 6]  # 13: past the last token; none past the mark
    assert states._bounds(len(toks), (9,)) == [4, 8, 9]
    plain, marked = states._keys(toks, [4, 8, 12]), states._keys(toks, [4, 6, 8, 12])  # (keys of any path)
    assert plain[0] == marked[0] and plain[1] != marked[2]


def test_marked_prompts_repeat_and_reuse_the_mark(llama):
    """Two prompts sharing a marked prefix: the second restores the state at the mark."""
    _, model = llama
    model.prefix = PrefixStates(model, chunk=32)
    shared = model.tokenize(b"Entry list: " + b" ".join(b"entry %d has %d coins;" % (i, i * 3) for i in range(12)))
    q1 = shared + model.tokenize(b" Question one?", add_bos=False)
    q2 = shared + model.tokenize(b" Question two, longer?", add_bos=False)
    assert model.prefix.prepare(q1, marks=(len(shared),)) == len(shared)
    hits = model.prefix.hits
    assert model.prefix.prepare(q2, marks=(len(shared),)) == len(shared)
    assert model.prefix.hits == hits + 1
