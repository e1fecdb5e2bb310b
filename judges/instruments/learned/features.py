"""The feature vector a learned head sees for one (reply, context) pair.

FEATURES_VERSION names the layout; a weights file carries it and is refused by other layouts.
Layout (771 numbers): the reply's MiniLM embedding (384), 10 x the element-wise product of the
reply's and the context's embeddings (384: which directions they share; the factor brings it to
the embedding's own scale), their cosine, log(1 + reply words), question_rate(reply).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from judges.instruments import embeddings
from judges.instruments.surface import length_words, question_rate

FEATURES_VERSION = "minilm-int8/r+10rc+cos+loglen+q/v1"
DIM = 2 * embeddings.DIM + 3


def features(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """(len(pairs), DIM) float64 feature matrix; an empty context gives zeros for its parts."""
    if not pairs:
        return np.zeros((0, DIM))
    embeddings.warm([t for p in pairs for t in p if t.strip()])
    R = embeddings.embed([r for r, _ in pairs]).astype(np.float64)
    C = np.stack([embeddings.embed([c])[0] if c.strip() else np.zeros(embeddings.DIM, np.float32)
                  for _, c in pairs]).astype(np.float64)
    cos = (R * C).sum(axis=1, keepdims=True)
    ln = np.log1p(np.array([[length_words(r)] for r, _ in pairs], np.float64))
    q = np.array([[question_rate(r)] for r, _ in pairs], np.float64)
    return np.hstack([R, 10.0 * R * C, cos, ln, q])
