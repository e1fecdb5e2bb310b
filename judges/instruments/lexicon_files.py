"""Reading the data files in judges/lexicons/ as plain rows, maps and word sets.

Kept apart from lexicons.py, which builds matchers in token normal form: the tokeniser needs the
known words to undo stretched spellings, and must not import the matchers that tokenise with it.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import yaml

from simulator.core.emotions import emotion_vocabulary


def read_lexicon(name: str) -> str:
    """Text of judges/lexicons/<name>."""
    return files("judges").joinpath("lexicons").joinpath(name).read_text("utf-8")


def read_rows(name: str) -> list[list[str]]:
    rows = []
    for line in read_lexicon(name).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            rows.append([cell.strip() for cell in line.split("\t")])
    return rows


def read_yaml(name: str) -> dict:
    data = yaml.safe_load(read_lexicon(name))
    if not isinstance(data, dict):
        raise ValueError(f"judges/lexicons/{name}: expected a mapping at the top level")
    return data


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(r[0] for r in read_rows("stopwords.txt"))


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Every single token any lexicon knows (used to undo stretched spellings like 'sooo')."""
    words: set[str] = set(stopwords())
    for row in read_rows("affect_intensity.tsv"):
        words.update(row[0].lower().split())
    for row in read_rows("intensity_modifiers.tsv"):
        words.update(row[1].lower().split())
    for entry in emotion_vocabulary().values():
        for form in entry.forms:
            words.update(form.lower().split())
    return frozenset(words)
