"""The persona fidelity check as it was before issue 14 (simulator/conversation/fidelity.py at 06fd259), kept
unchanged so `python -m bench.persona_fidelity score` can report its precision and recall on the
labelled turns beside the current check's. Not used by the simulator.

Deterministic checks that flag persona (simulator) errors, reported apart from the subject's.

In tau2-bench up to 30% of failed conversations were the user simulator's fault; these checks
catch the common ones so they are retried or at least never blamed on the subject.
"""

from __future__ import annotations

import re

from simulator.core.cards import Persona
from simulator.core.records import FidelityIssue

_ASSISTANT = re.compile(
    r"\b(as an ai|i am an ai|i'm an ai|language model|how (can|may) i (help|assist) you|"
    r"i'?m here to (help|support|assist)|is there anything else i can|i can help you with|"
    r"if you need anything else|let me know if you have any (other )?questions|"
    r"feel free to (reach out|ask)|need further assistance)\b",
    re.I,
)
_BROKE = re.compile(
    r"(\bpersona\b|\brole-?play\b|\bin character\b|\bsimulat(ed|ion)\b|\[system|\bthe user\b|"
    r"\bas the character\b|<\|im_start\|>|<\|im_end\|>)",
    re.I,
)
_SCRIPTS = {
    "zh": re.compile(r"[\u4e00-\u9fff]"),
    "ja": re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]"),
    "ar": re.compile(r"[\u0600-\u06ff]"),
    "ko": re.compile(r"[\uac00-\ud7af]"),
}
_WORD = re.compile(r"[^\W_]{4,}", re.U)


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def leaked(fact: str, text: str, threshold: float = 0.6) -> bool:
    """A never-disclose fact counts as leaked when most of its content words appear."""
    words = _content_words(fact)
    return bool(words) and len(words & _content_words(text)) / len(words) >= threshold


_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def wrong_script(language: str, text: str) -> bool:
    """Flag a message written (almost) without the persona's script: Chinese for an English
    speaker, or Latin letters for a Japanese one. Languages sharing a script are not told apart."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 8:
        return False
    pattern = _SCRIPTS.get(language.split("-")[0], _LATIN)
    return len(pattern.findall(text)) / len(letters) < 0.3


def echoes(text: str, previous: str, threshold: float = 0.7) -> bool:
    """The persona parroting the subject's last reply instead of answering it."""
    mine, theirs = _content_words(text), _content_words(previous)
    return len(mine) >= 4 and len(mine & theirs) / len(mine) >= threshold


def check_persona_turn(persona: Persona, text: str, turn: int, previous: str = "") -> list[FidelityIssue]:
    issues = []
    if previous and echoes(text, previous):
        issues.append(FidelityIssue(kind="echoed_subject", turn=turn, detail="repeats the subject's reply"))
    if not text.strip():
        issues.append(FidelityIssue(kind="empty_turn", turn=turn, detail="persona said nothing"))
    if m := _ASSISTANT.search(text):
        issues.append(FidelityIssue(kind="spoke_as_assistant", turn=turn, detail=m.group(0)))
    if m := _BROKE.search(text):
        issues.append(FidelityIssue(kind="broke_character", turn=turn, detail=m.group(0)))
    for fact in persona.disclosure.never:
        if leaked(fact, text):
            issues.append(FidelityIssue(kind="leaked_never_fact", turn=turn, detail=fact[:80]))
    if wrong_script(persona.language, text):
        issues.append(FidelityIssue(kind="wrong_language", turn=turn,
                                    detail=f"expected {persona.language}"))
    return issues
