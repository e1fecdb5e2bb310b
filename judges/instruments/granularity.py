"""Emotional granularity: does a reply name specific feelings, and the ones the person has?

Specific labels are the forms of simulator/core/emotions.yaml (context rules for ambiguous forms such as
"lost" or "miss" live in judges/lexicons/emotion_form_context.yaml). Generic words ("difficult",
"upset", "a lot") come from judges/lexicons/generic_emotion_words.yaml. A word inside a specific
label is never also counted as generic ("mixed feelings" is ambivalence, not "feelings").
"""

from __future__ import annotations

from collections.abc import Mapping

from judges.instruments.lexicons import emotion_forms, generic_words
from judges.instruments.tokens import tokenise
from simulator.core.emotions import emotion_vocabulary

# Share of the score that does not depend on hitting the targets: naming *some* specific feeling
# beats naming none, naming the person's own feeling is better.
SPECIFIC_FLOOR = 0.4


def named_emotions(text: str) -> list[str]:
    """Emotion labels named in `text`, in order of occurrence (repeats kept)."""
    return [m.payload for m in emotion_forms().find(tokenise(text).words)]


def _family(label: str) -> str | None:
    entry = emotion_vocabulary().get(label)
    return entry.family if entry else None


def granularity(reply_text: str, target_emotions: Mapping[str, int] | None = None) -> dict:
    """How specifically, and how on target, `reply_text` names feelings.

    Returns a JSON-serialisable dict:
      specific        count of specific emotion-label forms named (emotions.yaml)
      generic         count of generic emotion words ("difficult", "upset", "this situation")
      named           sorted distinct labels named
      target_overlap  0..1, weighted share of the target emotions named: a target named exactly
                      earns its weight, one named only through a same-family label earns half
      score           0..1, 1 = names specific feelings, and the person's strongest one; 0 = names
                      no specific feeling (only generic words, or nothing)
    `target_emotions` maps vocabulary labels to intensities 0..100 (weights); empty or None means
    no target, and the score is then the share of specific among all emotion words.
    """
    words = tokenise(reply_text).words
    specific = emotion_forms().find(words)
    covered = {i for m in specific for i in range(m.start, m.end)}
    generic = [m for m in generic_words().find(words) if not covered.intersection(range(m.start, m.end))]
    labels = {m.payload for m in specific}
    families = {_family(lab) for lab in labels}
    targets = {k: float(v) for k, v in (target_emotions or {}).items() if v > 0}
    overlap = top_hit = 0.0
    if targets:
        credit = {
            t: 1.0 if t in labels else (0.5 if _family(t) in families and _family(t) else 0.0)
            for t in targets
        }
        overlap = sum(targets[t] * credit[t] for t in targets) / sum(targets.values())
        top_hit = max(targets[t] * credit[t] for t in targets) / max(targets.values())
    n_spec, n_gen = len(specific), len(generic)
    specificity = n_spec / (n_spec + n_gen) if n_spec else 0.0
    if targets:
        score = specificity * (SPECIFIC_FLOOR + (1 - SPECIFIC_FLOOR) * max(top_hit, overlap))
    else:
        score = specificity
    return {
        "specific": n_spec,
        "generic": n_gen,
        "named": sorted(labels),
        "target_overlap": round(overlap, 6),
        "score": round(score, 6),
    }
