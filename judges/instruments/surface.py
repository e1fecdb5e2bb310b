"""Surface measures: how many words, how many questions."""

from __future__ import annotations

from judges.instruments.tokens import sentences, tokenise


def length_words(text: str) -> int:
    """Number of words as written (a contraction such as "don't" is one word); 0 for empty text."""
    return tokenise(text).raw_words


def question_rate(text: str) -> float:
    """Share of sentences that are questions (end in "?"), 0..1; 0.0 when there are no sentences."""
    tokens = tokenise(text)
    spans = sentences(tokens)
    if not spans:
        return 0.0
    return round(sum(1 for _, b in spans if tokens.words[b - 1] == "?") / len(spans), 6)
