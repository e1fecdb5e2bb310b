"""Token-sequence phrase matching with small context rules, linear in the number of tokens.

Lexicons of words and multi-word phrases (affect terms, emotion-label forms, generic words) are
matched here rather than with one giant regex alternation: phrases are indexed by their first
token, and at each position the longest phrase whose context rule holds wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from judges.instruments.tokens import BOUNDARY

P = TypeVar("P")


@dataclass(frozen=True)
class Rule:
    """Context a phrase needs. Every given condition must hold; None means no condition.

    before: one of the (up to) two tokens before is in the set (punctuation stops the look-back).
    not_before: the token just before is not in the set.
    after / not_after: the token just after is / is not in the set.
    not_after2: the second token after is not in the set ("missing her last call" is not longing).
    """

    before: frozenset[str] | None = None
    not_before: frozenset[str] | None = None
    after: frozenset[str] | None = None
    not_after: frozenset[str] | None = None
    not_after2: frozenset[str] | None = None

    def holds(self, words: Sequence[str], start: int, end: int) -> bool:
        if self.before is not None:
            ok = False
            for k in range(start - 1, max(-1, start - 3), -1):
                if words[k] in BOUNDARY:
                    break
                if words[k] in self.before:
                    ok = True
                    break
            if not ok:
                return False
        prev = words[start - 1] if start > 0 else None
        nxt = words[end] if end < len(words) else None
        if self.not_before is not None and prev in self.not_before:
            return False
        if self.after is not None and nxt not in self.after:
            return False
        if self.not_after is not None and nxt in self.not_after:
            return False
        if self.not_after2 is not None and end + 1 < len(words) and words[end + 1] in self.not_after2:
            return False
        return True


@dataclass(frozen=True)
class Match(Generic[P]):
    start: int
    end: int
    payload: P


class PhraseMatcher(Generic[P]):
    """Find non-overlapping phrase occurrences, longest first, left to right."""

    def __init__(self, entries: Iterable[tuple[tuple[str, ...], P, Rule | None]]) -> None:
        index: dict[str, list[tuple[tuple[str, ...], P, Rule | None]]] = {}
        for phrase, payload, rule in entries:
            if phrase:
                index.setdefault(phrase[0], []).append((phrase, payload, rule))
        for cands in index.values():
            cands.sort(key=lambda c: -len(c[0]))
        self._index = index

    def __contains__(self, phrase: tuple[str, ...]) -> bool:
        return any(p == phrase for p, _, _ in self._index.get(phrase[0], ())) if phrase else False

    def find(self, words: Sequence[str]) -> list[Match[P]]:
        out: list[Match[P]] = []
        index = self._index
        n = len(words)
        i = 0
        while i < n:
            cands = index.get(words[i])
            hit = None
            if cands:
                for phrase, payload, rule in cands:
                    end = i + len(phrase)
                    if end <= n and (len(phrase) == 1 or tuple(words[i:end]) == phrase):
                        if rule is None or rule.holds(words, i, end):
                            hit = Match(i, end, payload)
                            break
            if hit is None:
                i += 1
            else:
                out.append(hit)
                i = hit.end
        return out

    def longest_ending_at(self, words: Sequence[str], last: int, max_len: int = 4) -> Match[P] | None:
        """The longest phrase occupying words[..last] inclusive (used for modifiers before a term)."""
        for length in range(min(max_len, last + 1), 0, -1):
            start = last - length + 1
            cands = self._index.get(words[start])
            if not cands:
                continue
            seq = tuple(words[start : last + 1])
            for phrase, payload, rule in cands:
                if phrase == seq and (rule is None or rule.holds(words, start, last + 1)):
                    return Match(start, last + 1, payload)
        return None

    def starting_at(self, words: Sequence[str], start: int) -> Match[P] | None:
        """The longest phrase starting at words[start], if any."""
        if start >= len(words):
            return None
        for phrase, payload, rule in self._index.get(words[start], ()):
            end = start + len(phrase)
            if tuple(words[start:end]) == phrase and (rule is None or rule.holds(words, start, end)):
                return Match(start, end, payload)
        return None
