"""Text normal form shared by every instrument: tokens, sentences, stems and script coverage.

All lexicons are matched on one normal form so that a phrase written in a lexicon file matches the
same phrase in a reply: lower-case, curly quotes straightened, contractions expanded ("can't" ->
"cannot", "don't" -> "do not", "you're" -> "you are", "that's" -> "that is"), every word and every
punctuation mark a separate token. `Tokens.canonical` is those tokens joined by single spaces; the
regex lexicons (distancing markers, tactic cues, stance markers) are written against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from judges.instruments.lexicon_files import known_words

_TRANSLATE = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u201c": '"', "\u201d": '"',
    "\u2014": " , ", "\u2013": " , ", "\u2026": ".",
})
_LETTER = "A-Za-z0-9\u00c0-\u024f"
_RAW = re.compile(rf"[{_LETTER}]+(?:['\-][{_LETTER}]+)*|[.!?;:,]|\n| - ")
_STRETCH = re.compile(r"([a-z])\1{2,}")
BOUNDARY = frozenset({".", "!", "?", ";", ":", ","})
SENTENCE_END = frozenset({".", "!", "?"})
SECOND_PERSON = frozenset({"you", "your", "yours", "yourself", "yourselves", "u", "ur", "ya", "yall", "y'all"})

_BARE = {
    "dont": ("do", "not"), "didnt": ("did", "not"), "doesnt": ("does", "not"),
    "isnt": ("is", "not"), "wasnt": ("was", "not"), "arent": ("are", "not"),
    "werent": ("were", "not"), "couldnt": ("could", "not"), "shouldnt": ("should", "not"),
    "wouldnt": ("would", "not"), "havent": ("have", "not"), "hasnt": ("has", "not"),
    "hadnt": ("had", "not"), "cant": ("cannot",), "can't": ("cannot",), "won't": ("will", "not"),
    "shan't": ("shall", "not"), "ain't": ("is", "not"), "im": ("i", "am"), "ive": ("i", "have"),
    "youre": ("you", "are"), "youve": ("you", "have"), "youll": ("you", "will"),
    "thats": ("that", "is"), "whats": ("what", "is"), "theres": ("there", "is"),
    "let's": ("let", "us"), "idk": ("i", "do", "not", "know"),
}
_CLITICS = (("'m", "am"), ("'re", "are"), ("'ve", "have"), ("'ll", "will"), ("'d", "would"))
_IS_HOSTS = frozenset({"it", "that", "there", "here", "what", "who", "he", "she", "where", "how"})


def expand(word: str) -> tuple[str, ...]:
    """Expand one lower-case token's contraction into words ("don't" -> ("do", "not"))."""
    if word in _BARE:
        return _BARE[word]
    if word.endswith("n't") and len(word) > 3:
        return (word[:-3], "not")
    for clitic, full in _CLITICS:
        if word.endswith(clitic) and len(word) > len(clitic):
            return (word[: -len(clitic)], full)
    if word.endswith("'s") and word[:-2] in _IS_HOSTS:
        return (word[:-2], "is")
    return (word,)


def _unstretch(word: str) -> str:
    """'sooo' -> 'so', 'reallly' -> 'really': prefer the form the lexicons know."""
    double = _STRETCH.sub(r"\1\1", word)
    single = _STRETCH.sub(r"\1", word)
    known = known_words()
    if single in known or double not in known:
        return single
    return double


@dataclass(frozen=True)
class Tokens:
    """A text in normal form. `surface[i]` is token i as written (case kept) where it was not
    rewritten; `loud[i]` is True when token i was written in capitals or stretched."""

    words: tuple[str, ...]
    surface: tuple[str, ...]
    loud: tuple[bool, ...]
    offsets: tuple[int, ...]
    canonical: str
    raw_words: int
    exclamations: int


@lru_cache(maxsize=1024)
def tokenise(text: str) -> Tokens:
    """Normalise and tokenise `text` (cached: the instruments call it on the same reply often)."""
    text = text.translate(_TRANSLATE)
    words: list[str] = []
    surface: list[str] = []
    loud: list[bool] = []
    raw_words = 0
    for m in _RAW.finditer(text):
        tok = m.group()
        if tok == "\n":
            if words and words[-1] not in BOUNDARY:
                words.append(".")
                surface.append(".")
                loud.append(False)
            continue
        if tok == " - ":
            tok = ","
        if tok in BOUNDARY:
            words.append(tok)
            surface.append(tok)
            loud.append(False)
            continue
        raw_words += 1
        low = tok.lower()
        is_loud = len(tok) >= 2 and tok.isupper() and any(c.isalpha() for c in tok)
        if _STRETCH.search(low):
            low = tok = _unstretch(low)
            is_loud = True
        parts = expand(low)
        for w in parts:
            words.append(w)
            surface.append(tok if len(parts) == 1 else w)
            loud.append(is_loud)
    offsets = []
    pos = 0
    for w in words:
        offsets.append(pos)
        pos += len(w) + 1
    return Tokens(
        words=tuple(words), surface=tuple(surface), loud=tuple(loud), offsets=tuple(offsets),
        canonical=" ".join(words), raw_words=raw_words, exclamations=text.count("!"),
    )


def sentences(tokens: Tokens) -> list[tuple[int, int]]:
    """(start, end) token spans of sentences; end is exclusive and includes the final . ! or ?"""
    spans: list[tuple[int, int]] = []
    start = 0
    words = tokens.words
    for i, w in enumerate(words):
        if w in SENTENCE_END:
            if any(x not in BOUNDARY for x in words[start:i]):
                spans.append((start, i + 1))
            start = i + 1
    if any(x not in BOUNDARY for x in words[start:]):
        spans.append((start, len(words)))
    return spans


def latin_share(text: str) -> float:
    """Share (0..1) of the letters in `text` that are Latin script; 0.0 when there are none."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if c < "\u0250") / len(letters)


_SUFFIXES = ("ingly", "edly", "ness", "ment", "ings", "ing", "ied", "ies", "ed", "es", "ly", "s")
_ES_AFTER = ("s", "x", "z", "ch", "sh")


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """Crude suffix-stripping stem: 'missed'/'missing' -> 'miss', 'calls' -> 'call', 'hoped' -> 'hop'.

    Deliberately simple (no dictionary); `stems_match` adds a prefix rule for what it misses.
    """
    w = word.lower().strip("'")
    if w.endswith("'s"):
        w = w[:-2]
    for suf in _SUFFIXES:
        if not w.endswith(suf) or len(w) - len(suf) < 3:
            continue
        base = w[: -len(suf)]
        if suf in ("ied", "ies"):
            base += "y"
        elif suf == "es" and not base.endswith(_ES_AFTER):
            base = w[:-1]
        elif suf in ("ed", "ing", "ings") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
            base = base[:-1]
        w = base
        break
    if len(w) >= 4 and w.endswith("e"):
        w = w[:-1]
    return w


def stems_match(a: str, b: str) -> bool:
    """Same stem, or a shared prefix of >= 5 letters covering >= 80% of the shorter stem."""
    if a == b:
        return True
    short = min(len(a), len(b))
    if short < 5:
        return False
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n >= 5 and n >= 0.8 * short
