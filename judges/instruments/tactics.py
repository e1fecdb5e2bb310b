"""Empathic tactics a reply uses, and how templated the sequence is across turns.

Cues per tactic live in judges/lexicons/tactic_cues.yaml; "questioning" is also any sentence ending
in "?". Repeating the same tactic sequence turn after turn is the templating pattern reported for
LLM supporters (cf. arXiv 2604.08479).
"""

from __future__ import annotations

from collections.abc import Sequence

from judges.instruments.lexicons import TACTICS, tactic_cues
from judges.instruments.tokens import Tokens, sentences, tokenise


def _first_question(tokens: Tokens) -> int | None:
    for a, b in sentences(tokens):
        if tokens.words[b - 1] == "?":
            return tokens.offsets[a]
    return None


def tactics(reply_text: str) -> list[str]:
    """Tactic labels found in `reply_text`, each once, in order of first occurrence.

    Labels come from: validation, paraphrasing, emotional_expression, empowerment, information,
    reappraisal, self_disclosure, advice, assistance, questioning. Ties (same position) follow that
    order. An empty list means no cue was found.
    """
    tokens = tokenise(reply_text)
    first: dict[str, int] = {}
    for tactic, pattern in tactic_cues().items():
        m = pattern.search(tokens.canonical)
        if m:
            first[tactic] = m.start()
    q = _first_question(tokens)
    if q is not None:
        first["questioning"] = min(q, first.get("questioning", q))
    return sorted(first, key=lambda t: (first[t], TACTICS.index(t)))


def tactic_repetition(sequences: Sequence[Sequence[str]]) -> float:
    """How templated a conversation is, 0..1: share of consecutive subject-turn pairs that use the
    same non-empty tactic sequence (1 = every reply repeats the previous one's sequence; 0 = none,
    or fewer than two turns)."""
    if len(sequences) < 2:
        return 0.0
    same = sum(1 for a, b in zip(sequences, sequences[1:]) if a and list(a) == list(b))
    return round(same / (len(sequences) - 1), 6)
