"""Reuse of evaluated prompt prefixes on the embedded model, without giving up repeatability.

Local prompts share long prefixes: every turn of a conversation re-sends the whole history and
every judge call the same rubric, and on a CPU evaluating the prompt costs more than writing the
reply. llama-cpp can reuse whatever prefix its last call left behind, but then what is reused
depends on the previous call, and the same prompt evaluated in different batch splits can give
logits that differ in the last bits: the same call could answer differently depending on what ran
before it.

So prompts are evaluated in fixed chunks of `chunk` tokens aligned at position 0, and the state
after each whole chunk is kept, keyed by the tokens it covers. A call restores the deepest kept
state its prompt starts with, evaluates its remaining whole chunks (keeping their states too) and
leaves llama-cpp the final partial chunk. Every prompt is computed along the same path whatever
ran before, so outputs stay repeatable and only the time changes.
"""

from __future__ import annotations

import ctypes
import hashlib
from collections import OrderedDict
from typing import Any

import numpy as np

DEFAULT_CHUNK = 256  # within llama-cpp's default n_batch (512): each chunk is one decode


class PrefixStates:
    def __init__(self, llama: Any, chunk: int = DEFAULT_CHUNK, max_bytes: int = 512 << 20) -> None:
        if chunk < 1 or chunk > llama.n_batch:
            raise ValueError(f"chunk must be in 1..n_batch ({llama.n_batch}), got {chunk}")
        self.llama = llama
        self.chunk = chunk
        self.max_bytes = max_bytes
        self._states: OrderedDict[bytes, bytes] = OrderedDict()
        self._bytes = 0
        self.hits = self.evaluated_chunks = 0

    def _bounds(self, n_tokens: int, marks: tuple[int, ...]) -> list[int]:
        """Where the evaluation path stops to keep a state: every whole chunk, plus the marks.

        At least one token is always left past the last bound for the caller's own evaluation,
        which also produces the logits of the last position. With marks, no chunk past the last
        mark is kept: what follows it is one caller's own text.
        """
        last = n_tokens - 1
        marks = tuple(m for m in marks if 0 < m <= last)
        # Past a mark the prompt is one caller's own (a question): no later state is reused.
        top = max(marks) if marks else last
        bounds = {k * self.chunk for k in range(1, top // self.chunk + 1)}
        bounds.update(marks)
        return sorted(bounds)

    @staticmethod
    def _keys(tokens: list[int], bounds: list[int]) -> list[bytes]:
        """Digest of the path to each bound: the tokens and where each segment ended.

        The segment lengths are hashed too, because the same tokens evaluated in other splits
        can give states that differ in the last bits; a state is reused only along its own path.
        """
        h, out, prev = hashlib.blake2b(digest_size=16), [], 0
        arr = np.asarray(tokens[: bounds[-1]] if bounds else [], dtype=np.int32)
        for b in bounds:
            h.update(arr[prev:b].tobytes())
            h.update(b"|%d|" % (b - prev))
            out.append(h.copy().digest())
            prev = b
        return out

    def _snapshot(self) -> bytes:
        from llama_cpp import llama_cpp

        ctx = self.llama._ctx.ctx
        size = llama_cpp.llama_state_get_size(ctx)
        buf = (ctypes.c_uint8 * size)()
        n = llama_cpp.llama_state_get_data(ctx, buf, size)
        return bytes(memoryview(buf)[:n])

    def _restore(self, blob: bytes, tokens: list[int], n: int) -> None:
        from llama_cpp import llama_cpp

        buf = (ctypes.c_uint8 * len(blob)).from_buffer_copy(blob)
        if llama_cpp.llama_state_set_data(self.llama._ctx.ctx, buf, len(blob)) != len(blob):
            raise RuntimeError("llama_state_set_data failed")
        self.llama.input_ids[:n] = tokens[:n]
        self.llama.n_tokens = n
        self.llama._requires_eval = True  # the restored state has no fresh logits to sample from

    def _put(self, key: bytes, blob: bytes) -> None:
        if len(blob) > self.max_bytes:
            return
        self._states[key] = blob
        self._bytes += len(blob)
        while self._bytes > self.max_bytes:
            _, old = self._states.popitem(last=False)
            self._bytes -= len(old)

    def prepare(self, tokens: list[int], marks: tuple[int, ...] = ()) -> int:
        """Leave the model holding the prompt up to its last bound; returns how many tokens that is.

        Bounds are the whole chunks plus `marks`, positions the caller knows many prompts share
        (for example the start of a question asked after one long shared context). The path
        depends only on (tokens, marks), so the same call gives the same output whatever ran
        before it.
        """
        bounds = self._bounds(len(tokens), tuple(marks))
        self.llama.reset()
        if not bounds:
            return 0
        keys = self._keys(tokens, bounds)
        k = len(bounds)
        while k > 0 and keys[k - 1] not in self._states:
            k -= 1
        if k:
            self._states.move_to_end(keys[k - 1])
            self._restore(self._states[keys[k - 1]], tokens, bounds[k - 1])
            self.hits += 1
        for j in range(k, len(bounds)):
            start = bounds[j - 1] if j else 0
            self.llama.eval(tokens[start:bounds[j]])
            self.evaluated_chunks += 1
            self._put(keys[j], self._snapshot())
        return bounds[-1]

    def clear(self) -> None:
        self._states.clear()
        self._bytes = 0
