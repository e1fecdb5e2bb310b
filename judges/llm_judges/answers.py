"""Reading an answer from the next-token distribution: the yes/no judge and the A/B tension
judge share this one reader, so both count "Yes", " yes" and "YES." as one answer."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

TOP_LOGPROBS = 20
_YES = {"yes", "y"}
_NO = {"no", "n"}


class AnswerError(ValueError):
    """The answer distribution holds no yes/no answer at the first position."""


@dataclass(frozen=True)
class Answer:
    p_yes: float
    mass: float  # probability the model put on yes or no at all

    @property
    def confidence(self) -> float:
        """1 - binary entropy (bits) of the yes/no split: 0 = a coin toss, 1 = certain."""
        p = min(max(self.p_yes, 1e-12), 1 - 1e-12)
        return 1.0 + p * math.log2(p) + (1 - p) * math.log2(1 - p)


def answer_split(top: Sequence[tuple[str, float]], first: set[str], second: set[str], what: str) -> tuple[float, float]:
    """Probability mass on the first and on the second answer among the alternatives at the
    answer position. Tokens are matched case-insensitively with surrounding space and
    punctuation stripped, so "Yes", " yes" and "YES." count as one answer; anything else is
    ignored. Neither answer present is an AnswerError (a judge error, never a score)."""
    a = b = 0.0
    for token, logprob in top:
        word = token.strip().strip(".,!:;()\"'").lower()
        if word in first:
            a += math.exp(logprob)
        elif word in second:
            b += math.exp(logprob)
    if a + b <= 0:
        shown = ", ".join(repr(t) for t, _ in list(top)[:5])
        raise AnswerError(f"no {what} answer among the top alternatives at the answer position ({shown})")
    return a, b


def read_yes_no(top: Sequence[tuple[str, float]]) -> Answer:
    """P(yes) from the alternatives at the answer position: yes mass / (yes + no mass)."""
    yes, no = answer_split(top, _YES, _NO, "yes/no")
    return Answer(p_yes=yes / (yes + no), mass=min(1.0, yes + no))
