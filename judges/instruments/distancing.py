"""Linguistic distancing: impersonal, templated, hedged, clinical or "as an AI" replies.

Markers are regexes grouped by kind in judges/lexicons/distancing_markers.yaml. The score combines
the weighted marker load, normalised by the square root of the sentence count (one template in a
long reply weighs less than in a two-line one), with a smaller penalty for not addressing the
person as "you" at all.
"""

from __future__ import annotations

import math

from judges.instruments.lexicons import DISTANCING_KINDS, distancing_markers
from judges.instruments.tokens import SECOND_PERSON, Tokens, sentences, tokenise

# How much a reply with no second-person address at all, and no markers, counts as distanced.
NO_ADDRESS_WEIGHT = 0.25


def second_person_rate(text: str | Tokens) -> float:
    """Share of sentences (0..1) that address the reader as you/your/yourself (1 = every one)."""
    tokens = tokenise(text) if isinstance(text, str) else text
    spans = sentences(tokens)
    if not spans:
        return 0.0
    hits = sum(1 for a, b in spans if any(w in SECOND_PERSON for w in tokens.words[a:b]))
    return hits / len(spans)


def distancing(reply_text: str, *, referral_expected: bool = False) -> dict:
    """Distancing markers in `reply_text`.

    Returns a JSON-serialisable dict: one count per marker kind (formulaic_template, as_an_ai,
    reflex_referral, hedge, impersonal_passive, clinical_register), `second_person_rate` (0..1,
    share of sentences addressing the person as "you") and `score`, 0..1 where 1 = heavily
    distanced and 0 = direct, personal address with no markers. With `referral_expected=True`
    (the scenario's escalation window is open) referrals are still counted but do not add to the
    score. An empty reply scores 0.
    """
    tokens = tokenise(reply_text)
    weights, patterns = distancing_markers()
    counts = {kind: len(patterns[kind].findall(tokens.canonical)) for kind in DISTANCING_KINDS}
    rate = second_person_rate(tokens)
    n_sentences = len(sentences(tokens))
    if n_sentences == 0:
        return {**counts, "second_person_rate": 0.0, "score": 0.0}
    load = sum(
        weights[k] * counts[k] for k in DISTANCING_KINDS if not (referral_expected and k == "reflex_referral")
    )
    marked = 1.0 - math.exp(-load / math.sqrt(n_sentences))
    score = 1.0 - (1.0 - marked) * (1.0 - NO_ADDRESS_WEIGHT * (1.0 - rate))
    return {**counts, "second_person_rate": round(rate, 6), "score": round(score, 6)}
