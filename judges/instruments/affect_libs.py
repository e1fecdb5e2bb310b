"""Affect scores from published lexicons, side by side with the project's own intensity lexicon.

- VADER (Hutto & Gilbert 2014, `vaderSentiment==3.3.2`, MIT; a core dependency): the valence
  `compound` score (-1..1) and the share of positive tokens `pos` (0..1), with VADER's own rules
  for negation, intensifiers, capitals and "!".
- NRC Affect Intensity Lexicon (Mohammad 2018, (C) National Research Council Canada; **research
  use only**): ~10k English words with intensities 0..1 for anger, fear, joy, sadness, disgust,
  anticipation, trust, surprise. It comes from the GPL-3.0 package `emotion-nrc-affect-lex==0.0.3`,
  which is NOT a dependency of this project: that package pins `pandas~=1.1.3`, which cannot be
  built on Python >= 3.10, so it is opt-in with `pip install --no-deps emotion-nrc-affect-lex==0.0.3`.
  Its lexicon is read from the installed module's source as a literal (ast), so neither pandas
  nor textblob is imported. `nrc_available()` says whether it is there.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from functools import lru_cache

from judges.instruments.intensity import MAX_TERMS

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_scores(text: str) -> dict[str, float]:
    """VADER's polarity scores: neg, neu, pos (shares, sum 1) and compound (-1..1)."""
    return _vader().polarity_scores(text)


def vader_compound(text: str) -> float:
    return float(vader_scores(text)["compound"])


def vader_pos(text: str) -> float:
    return float(vader_scores(text)["pos"])


@lru_cache(maxsize=1)
def nrc_lexicon() -> dict[str, dict[str, float]] | None:
    """word -> {emotion: intensity} from the installed `emotion` module, or None if absent."""
    spec = importlib.util.find_spec("emotion")
    if spec is None or not spec.origin:
        return None
    tree = ast.parse(open(spec.origin, encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Emo":
            for stmt in node.body:
                if (isinstance(stmt, ast.Assign) and any(getattr(t, "id", "") == "lexicon" for t in stmt.targets)):
                    return ast.literal_eval(stmt.value)
    return None


def nrc_available() -> bool:
    return nrc_lexicon() is not None


def nrc_intensity(text: str) -> float:
    """Affect intensity 0..1 by the NRC lexicon: each word's strongest emotion, combined
    strongest-first with halving weights (as the own lexicon's affect_intensity combines terms).
    Raises RuntimeError when the research-only lexicon is not installed."""
    lex = nrc_lexicon()
    if lex is None:
        raise RuntimeError("NRC lexicon not installed: pip install --no-deps emotion-nrc-affect-lex==0.0.3 "
                           "(research use only)")
    values = sorted((max(lex[w].values()) for w in _WORD.findall(text.lower()) if lex.get(w)),
                    reverse=True)[:MAX_TERMS]
    remaining = 1.0
    for k, s in enumerate(values):
        remaining *= (1.0 - s) ** (0.5**k)
    return round(1.0 - remaining, 6)
