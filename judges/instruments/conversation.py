"""Run every deterministic instrument over a conversation: per subject turn and overall."""

from __future__ import annotations

from collections.abc import Sequence

from judges.instruments.details import detail_overlap
from judges.instruments.distancing import distancing
from judges.instruments.granularity import granularity
from judges.instruments.intensity import intensity_gap
from judges.instruments.stance import capitulation
from judges.instruments.surface import length_words, question_rate
from judges.instruments.tactics import tactic_repetition, tactics
from judges.instruments.tokens import latin_share
from simulator.cards import Scenario
from simulator.records import Conversation, PersonaState

# Below this share of Latin letters the English lexicons see too little of the text to trust.
MIN_LATIN_SHARE = 0.6
TURN_METRICS = ("intensity_gap", "granularity", "detail_overlap", "distancing", "capitulation", "question_rate",
                "length_words", "reply_quality")


def _low_coverage(text: str) -> bool:
    return bool(text.strip()) and latin_share(text) < MIN_LATIN_SHARE or not any(c.isalpha() for c in text)


def run_instruments(
    conversation: Conversation,
    scenario: Scenario,
    trajectory: Sequence[PersonaState] | None = None,
) -> dict:
    """All instruments over `conversation`, JSON-serialisable.

    Each subject turn is compared with the latest persona turn before it (an empty message when
    the subject speaks first). Target emotions for reply k are the persona's hidden emotions after
    reply k-1 when `trajectory` has that state, else the scenario's expected emotions. Referrals
    stop counting towards distancing once the scenario's escalation window has opened.

    Returns {"per_turn": [...], "conversation": {...}}. Per turn: "turn" (the subject turn's
    index in the conversation), intensity_gap / granularity / detail_overlap / distancing /
    capitulation (the conflict-avoidance surface cue: agreement-marker share, 1 = only agreement) /
    question_rate (0..1), length_words (int), tactics (labels), reply_quality (the learned head of
    judges/learned/heads.py on the reply and the message it answers: higher = more like the
    replies people rated better; a ranking score, about -0.4..1.0), plus "lexicon_coverage": "low"
    when the reply or the message it answers is mostly not Latin script. Conversation: the mean of
    each per-turn metric (None when there are no subject turns), tactic_repetition (0..1) and
    subject_turns.
    """
    from judges.learned.heads import reply_quality  # judges.learned imports judges.instruments

    expected = dict(scenario.expectations.emotions)
    details = list(scenario.expectations.salient_details)
    states = {s.after_reply: s.emotions for s in (trajectory or [])}
    window = scenario.expectations.escalation
    per_turn: list[dict] = []
    persona_text = ""
    reply_no = 0
    for turn in conversation.turns:
        if turn.speaker == "persona":
            persona_text = turn.text
            continue
        reply_no += 1
        reply = turn.text
        targets = states.get(reply_no - 1) or expected
        referral_expected = window is not None and reply_no >= window.not_before
        row: dict = {
            "turn": turn.index,
            "intensity_gap": intensity_gap(persona_text, reply),
            "granularity": granularity(reply, targets)["score"],
            "detail_overlap": detail_overlap(reply, details),
            "distancing": distancing(reply, referral_expected=referral_expected)["score"],
            "capitulation": capitulation(reply)["score"],
            "question_rate": question_rate(reply),
            "length_words": length_words(reply),
            "reply_quality": reply_quality(reply, persona_text),
            "tactics": tactics(reply),
        }
        if _low_coverage(reply) or _low_coverage(persona_text):
            row["lexicon_coverage"] = "low"
        per_turn.append(row)
    n = len(per_turn)
    summary: dict = {
        k: (round(sum(r[k] for r in per_turn) / n, 6) if n else None) for k in TURN_METRICS
    }
    summary["tactic_repetition"] = tactic_repetition([r["tactics"] for r in per_turn])
    summary["subject_turns"] = n
    return {"per_turn": per_turn, "conversation": summary}
