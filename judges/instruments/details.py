"""Detail overlap: does a reply pick up the salient details the person brought in?"""

from __future__ import annotations

import re
from functools import lru_cache

from judges.instruments.lexicon_files import stopwords
from judges.instruments.tokens import BOUNDARY, stem, stems_match, tokenise

_ALTERNATIVES = re.compile(r"\s*/\s*|\s+or\s+")
_QUOTED = re.compile(r'"([^"]+)"|\u201c([^\u201d]+)\u201d')
_NUMBERS = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "thirty": "30",
    "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000",
}
# A detail counts fully once half of its content words appear; below that, pro rata.
FULL_AT = 0.5


def content_stems(text: str) -> tuple[str, ...]:
    """Distinct stems of the content words of `text`: lower-cased, stop-words removed, stemmed."""
    stops = stopwords()
    out: dict[str, None] = {}
    for w in tokenise(text).words:
        if w in BOUNDARY or w in stops or (len(w) < 2 and not w.isdigit()):
            continue
        out.setdefault(stem(_NUMBERS.get(w, w)), None)
    return tuple(out)


@lru_cache(maxsize=512)
def _detail_options(detail: str) -> tuple[tuple[str, ...], ...]:
    """The detail as a whole, each '/'- or 'or'-separated alternative, and each quoted phrase."""
    texts = [detail, *_ALTERNATIVES.split(detail)]
    texts += [a or b for a, b in _QUOTED.findall(detail)]
    options = {content_stems(t) for t in texts}
    return tuple(o for o in options if o)


def detail_overlap(reply_text: str, details: list[str]) -> float:
    """Share of salient `details` the reply engages with, 0..1 (1 = all of them, 0 = none).

    A detail is engaged when at least half of its content words (or of one of its '/'
    alternatives or quoted phrases) appear in the reply, compared by crude stem; fewer earn
    partial credit. Returns 0.0 when `details` is empty.
    """
    if not details:
        return 0.0
    reply = set(content_stems(reply_text))
    by_prefix: dict[str, list[str]] = {}
    for s in reply:
        by_prefix.setdefault(s[:5], []).append(s)

    def present(s: str) -> bool:
        return s in reply or (len(s) >= 5 and any(stems_match(s, r) for r in by_prefix.get(s[:5], ())))

    total = 0.0
    for detail in details:
        best = 0.0
        for option in _detail_options(detail):
            coverage = sum(1 for s in option if present(s)) / len(option)
            best = max(best, min(1.0, coverage / FULL_AT))
        total += best
    return round(total / len(details), 6)
