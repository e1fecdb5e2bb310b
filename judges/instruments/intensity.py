"""Affect intensity of a text and the attenuation gap between a person's message and a reply.

Scoring, in the spirit of lexicon scoring (cf. arXiv 2501.08102) but with this project's own
lexicon (judges/lexicons/affect_intensity.tsv):

1. every affect term found gets its lexicon intensity s in 0..1;
2. a term written in capitals or stretched ("SO", "sooo") gets s -> s + (1 - s) * 0.3;
3. intensifiers directly before it (chained: "so very") raise it, diminishers lower it;
4. a negator up to three tokens before it, across only copulas, pronouns and the like, scales it
   down: "not angry" and "don't feel angry" are not anger;
5. a post-intensifier after it ("hurts so much") raises it;
6. the text's intensity combines the terms strongest-first with halving weights,
   1 - prod_k (1 - s_k) ** (0.5 ** k), so it is led by the strongest term, grows with further
   terms, and does not fall when neutral words are added;
7. each "!" (up to three) adds 5% of the remaining headroom;
8. emphasis outside the lexicon: an intensifier of value >= 0.25 (the lexicon's values below that
   are quantifier-like: "too", "all", "more", "most") directly before a content word that is not
   an affect term ("I really want to quit", "it is so important to you") counts as a weak term of
   intensity EMPHASIS_WEIGHT * value, unless negated ("not really sure"). Emphasis is intensity
   of expression even on a neutral word; being weak, it barely moves a text with real affect
   terms, but it separates "you really want this" from "you want this".
"""

from __future__ import annotations

from judges.instruments.lexicon_files import stopwords
from judges.instruments.lexicons import AffectLexicon, affect_lexicon
from judges.instruments.tokens import BOUNDARY, Tokens, tokenise

LOUD_BOOST = 0.30
EXCLAMATION_BOOST = 0.05
MAX_EXCLAMATIONS = 3
NEGATION_WINDOW = 3
POST_WINDOW = 3
MAX_TERMS = 8
EMPHASIS_MIN = 0.25
EMPHASIS_WEIGHT = 0.5
_NOT_EMPHASIS = frozenset({("so", "far")})  # temporal "so far" is not "so" + "far"
# A negator reaches an affect term only across these words ("not angry", "don't feel angry",
# "wasn't that bad", "doesn't make you useless"), not across other verbs or nouns ("doesn't stop
# the guilt", "can't believe how awful").
_TRANSPARENT = frozenset({
    "feel", "feels", "felt", "feeling", "be", "been", "being", "is", "are", "was", "were", "am",
    "that", "even", "at", "a", "an", "the", "get", "getting", "got", "look", "looks", "seem",
    "seems", "sound", "sounds", "make", "makes", "made", "you", "me", "him", "her", "them", "it",
    "your", "my", "just", "any", "necessarily", "actually", "exactly", "entirely", "quite",
})


def _pre_modified(lex: AffectLexicon, tokens: Tokens, start: int, s: float) -> tuple[float, int]:
    """Apply the chain of intensifiers/diminishers ending just before `start`."""
    words, j = tokens.words, start
    while j > 0:
        mod = lex.pre.longest_ending_at(words, j - 1, max_len=3)
        if mod is None:
            break
        kind, value = mod.payload
        if kind == "intensifier":
            if any(tokens.loud[mod.start : mod.end]):
                value = value + (1 - value) * LOUD_BOOST
            s = s + (1 - s) * value
        else:
            s = s * value
        j = mod.start
    return s, j


def _negation(lex: AffectLexicon, words: tuple[str, ...], before: int) -> float | None:
    """Scale of the nearest negator within NEGATION_WINDOW tokens before index `before`."""
    for k in range(before - 1, max(-1, before - 1 - NEGATION_WINDOW), -1):
        neg = lex.negators.longest_ending_at(words, k, max_len=3)
        if neg is not None:
            return neg.payload
        if words[k] not in _TRANSPARENT:
            return None
    return None


def _post_boost(lex: AffectLexicon, words: tuple[str, ...], end: int) -> float:
    for k in range(end, min(len(words), end + POST_WINDOW)):
        if words[k] in BOUNDARY:
            return 0.0
        mod = lex.post.starting_at(words, k)
        if mod is not None and (mod.end >= len(words) or words[mod.end] != "of"):
            return mod.payload
    return 0.0


def term_intensities(text: str) -> list[tuple[str, float]]:
    """Each affect term found in `text` with its modified intensity (0..1), in text order."""
    lex = affect_lexicon()
    tokens = tokenise(text)
    words = tokens.words
    found = []
    for m in lex.terms.find(words):
        s, polarity = m.payload
        if any(tokens.loud[m.start : m.end]):
            s = s + (1 - s) * LOUD_BOOST
        s, chain_start = _pre_modified(lex, tokens, m.start, s)
        neg = _negation(lex, words, chain_start)
        if neg is not None:
            s = s * (neg if polarity == "neg" else min(1.0, 2 * neg))
        post = _post_boost(lex, words, m.end)
        s = s + (1 - s) * post
        found.append((" ".join(words[m.start : m.end]), min(1.0, max(0.0, s))))
    return found


def emphasis_intensities(text: str) -> list[tuple[str, float]]:
    """Intensifier + content word pairs outside the affect lexicon ("really want"), each with
    the weak intensity it adds (EMPHASIS_WEIGHT * the intensifier chain's value), in text order."""
    lex = affect_lexicon()
    tokens = tokenise(text)
    words = tokens.words
    stops = stopwords()
    in_term = {k for m in lex.terms.find(words) for k in range(m.start, m.end)}
    found = []
    i = 0
    while i < len(words):
        mod = lex.pre.starting_at(words, i)
        if mod is None or mod.payload[0] != "intensifier" or i in in_term:
            i += 1
            continue
        value, j = 0.0, i
        while mod is not None and mod.payload[0] == "intensifier" and j not in in_term:  # "so very"
            v = mod.payload[1]
            if any(tokens.loud[mod.start : mod.end]):
                v = v + (1 - v) * LOUD_BOOST
            value, j = value + (1 - value) * v, mod.end
            mod = lex.pre.starting_at(words, j)
        head = words[j] if j < len(words) else "."
        if (
            value >= EMPHASIS_MIN and head not in BOUNDARY and head not in stops and j not in in_term
            and lex.pre.starting_at(words, j) is None and _negation(lex, words, i) is None
            and (words[j - 1], head) not in _NOT_EMPHASIS
        ):
            found.append((" ".join(words[i : j + 1]), EMPHASIS_WEIGHT * value))
        i = max(j, i + 1)
    return found


def affect_intensity(text: str) -> float:
    """Emotional intensity expressed by `text`, 0..1 (0 = none found, 1 = extreme).

    Higher means more intense, whatever the valence. Length-insensitive: adding neutral sentences
    does not lower it. English lexicon; text in other scripts scores near 0.
    """
    found = term_intensities(text) + emphasis_intensities(text)
    scores = sorted((s for _, s in found), reverse=True)[:MAX_TERMS]
    remaining = 1.0
    for k, s in enumerate(scores):
        remaining *= (1.0 - s) ** (0.5**k)
    value = 1.0 - remaining
    bangs = min(MAX_EXCLAMATIONS, tokenise(text).exclamations)
    value = value + (1.0 - value) * EXCLAMATION_BOOST * bangs
    return round(min(1.0, max(0.0, value)), 6)


def intensity_gap(persona_text: str, reply_text: str) -> float:
    """Sentiment attenuation: max(0, intensity(persona) - intensity(reply)), 0..1.

    0 = the reply carries at least the intensity the person expressed (no attenuation);
    higher = the reply is flatter than the message it answers.
    """
    return round(max(0.0, affect_intensity(persona_text) - affect_intensity(reply_text)), 6)
