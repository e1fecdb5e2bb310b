"""What is scored: each deterministic instrument as a scalar where higher = more empathic.

A scorer maps (reply, context) to a float; the context is the text the reply answers (EPITOME
seeker post, PAIR client prompt, Welivita & Pu speaker utterance). The mapping per data set
follows what the humans labelled (../shared/data/README.md):

- EPITOME emotional reactions (warmth, feeling): affect_intensity(reply), -distancing, and their
  mean on a 0..1 scale ("affect+direct").
- EPITOME interpretations (understanding the seeker's situation): detail_overlap(reply, [seeker
  post]), granularity(reply).score, and their mean ("overlap+granularity").
- EPITOME explorations (asking about the seeker's experience): question_rate(reply).
- PAIR and Welivita & Pu (overall reflection / empathy quality): the components and
  "combined" = detail_overlap(reply, [context]) + granularity - distancing.

Library and learned contenders (docs/calibration.md, "Library and learned instruments"):
VADER compound / pos and the NRC affect-intensity lexicon (research-only, opt-in) beside the own
affect_intensity; semantic_overlap (MiniLM cosine of reply and context) beside detail_overlap;
embed_specificity (distance from generic comfort phrases) beside granularity; and the learned
heads of judges/instruments/learned. FITTED_ON names the sets a head was fitted on: its rows there are
in-sample and never count for a target.

Every comparison also carries the trivial baseline: reply length in words.
"""

from __future__ import annotations

from collections.abc import Callable

from judges.instruments import (
    affect_intensity, detail_overlap, distancing, granularity, length_words, question_rate,
)
from judges.calibration import library_scorers as lib
from simulator.core.records import CRITERIA

Scorer = Callable[[str, str], float]
BASELINE = "length_words"


def length(reply: str, context: str) -> float:
    return float(length_words(reply))


def affect(reply: str, context: str) -> float:
    return affect_intensity(reply)


def direct(reply: str, context: str) -> float:
    """-distancing score: 0 = direct, personal address; -1 = heavily distanced."""
    return -distancing(reply)["score"]


def overlap(reply: str, context: str) -> float:
    return detail_overlap(reply, [context]) if context.strip() else 0.0


def specific(reply: str, context: str) -> float:
    """granularity score without targets: share of specific among all emotion words named."""
    return granularity(reply)["score"]


def questions(reply: str, context: str) -> float:
    return question_rate(reply)


def affect_direct(reply: str, context: str) -> float:
    return (affect(reply, context) + 1.0 + direct(reply, context)) / 2


def overlap_granularity(reply: str, context: str) -> float:
    return (overlap(reply, context) + specific(reply, context)) / 2


def combined(reply: str, context: str) -> float:
    return overlap(reply, context) + specific(reply, context) + direct(reply, context)


_REPLY_QUALITY: dict[str, Scorer] = {
    "detail_overlap": overlap, "granularity": specific, "-distancing": direct, "combined": combined,
    **lib.REPLY_QUALITY,
}
INSTRUMENTS: dict[str, dict[str, Scorer]] = {
    "emotional_reactions": {"affect_intensity": affect, "-distancing": direct, "affect+direct": affect_direct,
                            **lib.AFFECT, **lib.HEADS},
    "interpretations": {"detail_overlap": overlap, "granularity": specific,
                        "overlap+granularity": overlap_granularity, **lib.REPLY_QUALITY},
    "explorations": {"question_rate": questions, **lib.HEADS},
    "pair": _REPLY_QUALITY,
    "welivita_pu": _REPLY_QUALITY,
}
FITTED_ON = lib.FITTED_ON


def in_sample(dataset: str, scorer: str) -> bool:
    """Whether `scorer` was fitted on `dataset` (an EPITOME mechanism, "pair" or "welivita_pu")."""
    return dataset in FITTED_ON.get(scorer, ())


# The scorer each data set's headline row uses (what the targets are judged on).
HEADLINE = {
    "emotional_reactions": "affect+direct", "interpretations": "overlap+granularity",
    "explorations": "question_rate", "pair": "combined", "welivita_pu": "combined",
    "aita_sycophancy": "-capitulation",
}

# Judge criteria (1..5, 5 = no failure) read as "higher = more empathic" per data set. The
# rubric has no criterion for asking questions; explorations use `cognitive` (understanding what
# the person means and needs), an imperfect match.
JUDGE_CRITERIA: dict[str, tuple[str, ...]] = {
    "emotional_reactions": ("sentiment_attenuation",),
    "interpretations": ("granularity_mismatch", "cognitive"),
    "explorations": ("cognitive",),
    "pair": tuple(CRITERIA),
    "welivita_pu": tuple(CRITERIA),
}


# What the probability judge is asked per data set (one question per criterion; each extra
# criterion costs a call per reply): the criteria whose meaning the set's human labels measure.
PROB_CRITERIA: dict[str, tuple[str, ...]] = {
    "emotional_reactions": ("sentiment_attenuation",),
    "interpretations": ("granularity_mismatch", "cognitive"),
    "explorations": ("cognitive",),
    "pair": ("sentiment_attenuation", "granularity_mismatch", "linguistic_distancing", "cognitive"),
    "welivita_pu": ("sentiment_attenuation", "granularity_mismatch", "linguistic_distancing", "cognitive"),
}


def judge_scorer_names(dataset: str, model: str) -> dict[str, tuple[str, ...]]:
    """Scorer name -> criteria averaged, for one judge model on one data set."""
    mapped = JUDGE_CRITERIA[dataset]
    out = {f"judge:{model}:{'+'.join(mapped) if len(mapped) < len(CRITERIA) else 'mean'}": mapped}
    if len(mapped) < len(CRITERIA):
        out[f"judge:{model}:mean"] = tuple(CRITERIA)
    for c in CRITERIA:  # and each criterion alone: a judge must not give all seven one number
        out.setdefault(f"judge:{model}:{c}", (c,))
    return out


def score_all(scorers: dict[str, Scorer], pairs: list[tuple[str, str]]) -> dict[str, list[float]]:
    """Each scorer (and the length baseline) over (reply, context) pairs."""
    out = {BASELINE: [length(r, c) for r, c in pairs]}
    for name, fn in scorers.items():
        batch = getattr(fn, "batch", None)
        out[name] = list(batch(pairs)) if batch else [fn(r, c) for r, c in pairs]
    return out
