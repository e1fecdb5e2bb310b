"""Loaders for the data files in judges/lexicons/ and for the controlled emotion vocabulary.

Each loader reads its file once, builds matchers or compiles regexes, and caches the result, so the
instruments pay the cost on first use and nothing after. Files are plain TSV/YAML/text written for
this project; see the header comment of each file for its format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from judges.instruments.lexicon_files import read_rows as _rows, read_yaml as _yaml
from judges.instruments.phrases import PhraseMatcher, Rule
from judges.instruments.tokens import tokenise
from simulator.core.emotions import emotion_vocabulary

MODIFIER_KINDS = ("intensifier", "post_intensifier", "diminisher", "negator")
DISTANCING_KINDS = (
    "formulaic_template", "as_an_ai", "reflex_referral", "hedge", "impersonal_passive",
    "clinical_register",
)
TACTICS = (
    "validation", "paraphrasing", "emotional_expression", "empowerment", "information",
    "reappraisal", "self_disclosure", "advice", "assistance", "questioning",
)


def phrase(text: str) -> tuple[str, ...]:
    """A lexicon entry in token normal form ("can't cope" -> ("cannot", "cope"))."""
    return tokenise(text).words


def compile_patterns(patterns: list[str], where: str) -> re.Pattern[str]:
    """Join regexes into one alternation that only matches whole tokens of the canonical text."""
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise ValueError(f"{where}: bad pattern {p!r}: {exc}") from exc
    body = "|".join(f"(?:{p})" for p in patterns) or "(?!)"
    return re.compile(rf"(?<![\w'-])(?:{body})(?![\w'-])")


@dataclass(frozen=True)
class AffectLexicon:
    terms: PhraseMatcher[tuple[float, str]]
    pre: PhraseMatcher[tuple[str, float]]
    post: PhraseMatcher[float]
    negators: PhraseMatcher[float]


@lru_cache(maxsize=1)
def affect_lexicon() -> AffectLexicon:
    """affect_intensity.tsv and intensity_modifiers.tsv as matchers."""
    terms = []
    for row in _rows("affect_intensity.tsv"):
        term, value, polarity = row[0], float(row[1]), row[2]
        if not 0.0 <= value <= 1.0 or polarity not in ("neg", "pos", "mix"):
            raise ValueError(f"affect_intensity.tsv: bad row {row}")
        terms.append((phrase(term), (value, polarity), None))
    pre, post, neg = [], [], []
    for kind, term, value in _rows("intensity_modifiers.tsv"):
        if kind not in MODIFIER_KINDS:
            raise ValueError(f"intensity_modifiers.tsv: unknown kind {kind!r}")
        v = float(value)
        if kind in ("intensifier", "diminisher"):
            pre.append((phrase(term), (kind, v), None))
        elif kind == "post_intensifier":
            post.append((phrase(term), v, None))
        else:
            neg.append((phrase(term), v, None))
    return AffectLexicon(PhraseMatcher(terms), PhraseMatcher(pre), PhraseMatcher(post), PhraseMatcher(neg))


@lru_cache(maxsize=1)
def emotion_forms() -> PhraseMatcher[str]:
    """Forms from simulator/core/emotions.yaml -> label, with context rules from emotion_form_context.yaml."""
    ctx = _yaml("emotion_form_context.yaml")
    frames = {k: frozenset(v) for k, v in ctx["frames"].items()}
    rules: dict[tuple[str, ...], Rule] = {}
    for form, spec in ctx["forms"].items():
        unknown = set(spec) - {"before", "not_before", "after", "not_after", "not_after2"}
        if unknown:
            raise ValueError(f"emotion_form_context.yaml: {form}: unknown keys {sorted(unknown)}")
        rules[phrase(form)] = Rule(**{k: frames[v] for k, v in spec.items()})
    entries = []
    for label, entry in emotion_vocabulary().items():
        for form in entry.forms:
            entries.append((phrase(form), label, rules.pop(phrase(form), None)))
    if rules:
        raise ValueError(f"emotion_form_context.yaml: not vocabulary forms: {sorted(rules)}")
    return PhraseMatcher(entries)


def vocabulary_forms() -> frozenset[tuple[str, ...]]:
    return frozenset(phrase(f) for e in emotion_vocabulary().values() for f in e.forms)


@lru_cache(maxsize=1)
def generic_words() -> PhraseMatcher[str]:
    """generic_emotion_words.yaml as a matcher; refuses entries that are vocabulary forms."""
    data = _yaml("generic_emotion_words.yaml")
    framed = Rule(before=frozenset(data["frame"]), not_after=frozenset(data["not_after"]))
    entries = [(phrase(w), w, None) for w in data["always"]]
    entries += [(phrase(w), w, framed) for w in data["framed"]]
    clash = sorted(" ".join(p) for p, _, _ in entries if p in vocabulary_forms())
    if clash:
        raise ValueError(f"generic_emotion_words.yaml: also emotion vocabulary forms: {clash}")
    return PhraseMatcher(entries)


@lru_cache(maxsize=1)
def distancing_markers() -> tuple[dict[str, float], dict[str, re.Pattern[str]]]:
    """(weight per kind, compiled pattern per kind) from distancing_markers.yaml."""
    data = _yaml("distancing_markers.yaml")
    weights = {k: float(data["weights"][k]) for k in DISTANCING_KINDS}
    return weights, {k: compile_patterns(data[k], f"distancing_markers.yaml:{k}") for k in DISTANCING_KINDS}


@lru_cache(maxsize=1)
def tactic_cues() -> dict[str, re.Pattern[str]]:
    data = _yaml("tactic_cues.yaml")
    missing = set(TACTICS) - set(data)
    if missing:
        raise ValueError(f"tactic_cues.yaml: missing tactics {sorted(missing)}")
    return {t: compile_patterns(data[t] or [], f"tactic_cues.yaml:{t}") for t in TACTICS}


@lru_cache(maxsize=1)
def stance_markers() -> dict[str, re.Pattern[str]]:
    data = _yaml("stance_markers.yaml")
    return {k: compile_patterns(data[k], f"stance_markers.yaml:{k}") for k in ("agreement", "pushback")}


@lru_cache(maxsize=1)
def attenuation_map() -> dict[tuple[str, ...], str]:
    """attenuation_map.tsv: strong term (normal form) -> neutral-register replacement."""
    return {phrase(src): dst for src, dst in _rows("attenuation_map.tsv")}
