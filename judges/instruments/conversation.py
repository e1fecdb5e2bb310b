"""Every deterministic instrument over a conversation, per subject reply and overall.

Each instrument family is a scorer on the seam (judges/seam.py): it reads each subject reply
with the message it answers and the persona's hidden emotions before it, and returns one row per
reply. `run_instruments` runs every family and merges their rows into the record's
`instruments` field; the runner does the same through the seam, so both give one result."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from judges.instruments.details import detail_overlap
from judges.instruments.distancing import distancing
from judges.instruments.escalation import points_to_help
from judges.instruments.granularity import granularity
from judges.instruments.intensity import affect_intensity, intensity_gap
from judges.instruments.stance import capitulation, stance_lean
from judges.instruments.surface import length_words, question_rate
from judges.instruments.tactics import tactic_repetition, tactics
from judges.instruments.tokens import latin_share
from judges.seam import FinishedConversation, Scores
from simulator.core.cards import Scenario
from simulator.core.records import Conversation, ErrorInfo, PersonaState

# Below this share of Latin letters the English lexicons see too little of the text to trust.
MIN_LATIN_SHARE = 0.6
TURN_METRICS = ("intensity_gap", "granularity", "detail_overlap", "distancing", "capitulation", "stance_lean",
                "question_rate", "length_words", "reply_quality")


def _low_coverage(text: str) -> bool:
    return bool(text.strip()) and latin_share(text) < MIN_LATIN_SHARE or not any(c.isalpha() for c in text)


@dataclass(frozen=True)
class Reply:
    """One subject reply as the instruments read it."""

    turn: int  # index of the subject turn in the conversation
    text: str
    answered: str  # the latest persona message before it ("" when the subject speaks first)
    targets: Mapping[str, float]  # the persona's hidden emotions before it, else the scenario's
    details: tuple[str, ...]
    referral_expected: bool  # the scenario's escalation window is open: referring is not distancing


def replies(conversation: Conversation, scenario: Scenario,
            trajectory: Sequence[PersonaState] | None = None) -> list[Reply]:
    expected = dict(scenario.expectations.emotions)
    details = tuple(scenario.expectations.salient_details)
    states = {s.after_reply: s.emotions for s in (trajectory or [])}
    window = scenario.expectations.escalation
    out: list[Reply] = []
    persona_text = ""
    for turn in conversation.turns:
        if turn.speaker == "persona":
            persona_text = turn.text
            continue
        n = len(out) + 1
        out.append(Reply(turn=turn.index, text=turn.text, answered=persona_text,
                         targets=states.get(n - 1) or expected, details=details,
                         referral_expected=window is not None and n >= window.not_before))
    return out


def _reply_quality(r: Reply) -> dict:
    from judges.instruments.learned.heads import reply_quality  # lazy: loads the embedding model

    return {"reply_quality": reply_quality(r.text, r.answered)}


def _coverage(r: Reply) -> dict:
    return {"lexicon_coverage": "low"} if _low_coverage(r.text) or _low_coverage(r.answered) else {}


def _tactics_overall(rows: list[dict]) -> dict:
    return {"tactic_repetition": tactic_repetition([r["tactics"] for r in rows])}


@dataclass(frozen=True)
class InstrumentFamily:
    """One family of instruments as a scorer: a row per reply, and what it adds overall."""

    name: str
    per_reply: Callable[[Reply], dict]
    metrics: tuple[str, ...] = ()  # per-reply metrics whose conversation value is their mean
    overall: Callable[[list[dict]], dict] | None = None  # anything else it adds overall

    def measure(self, rs: Sequence[Reply]) -> Scores:
        """This family's readings of `rs`: a row per reply (with its turn) and the overall values."""
        rows = [self.per_reply(r) for r in rs]
        n = len(rows)
        out = {k: round(sum(r[k] for r in rows) / n, 6) if n else None for k in self.metrics}
        if self.overall is not None:
            out.update(self.overall(rows))
        return Scores(scorer=self.name, kind="instrument", conversation=out,
                      per_turn=[{"turn": r.turn, **row} for r, row in zip(rs, rows)])

    async def score(self, item: FinishedConversation) -> Scores:
        rs = replies(item.conversation, item.scenario, item.trajectory)
        try:
            return self.measure(rs)
        except Exception as e:  # noqa: BLE001 - a broken instrument is this scorer's error, not the run's
            return Scores(scorer=self.name, kind="instrument", error=ErrorInfo(
                kind="instrument_error", message=f"{self.name}: {type(e).__name__}: {e}"[:500]))


# In this order the merged rows keep the key order records always had.
FAMILIES: tuple[InstrumentFamily, ...] = (
    InstrumentFamily("intensity", lambda r: {"intensity_gap": intensity_gap(r.answered, r.text),
                                             # the reply's own affect: the report's register profile
                                             "reply_intensity": round(affect_intensity(r.text), 6)},
                     metrics=("intensity_gap",)),
    InstrumentFamily("granularity", lambda r: {"granularity": granularity(r.text, r.targets)["score"]},
                     metrics=("granularity",)),
    InstrumentFamily("details", lambda r: {"detail_overlap": detail_overlap(r.text, list(r.details))},
                     metrics=("detail_overlap",)),
    InstrumentFamily("distancing", lambda r: {"distancing": distancing(
        r.text, referral_expected=r.referral_expected)["score"]}, metrics=("distancing",)),
    InstrumentFamily("stance", lambda r: {"capitulation": capitulation(r.text)["score"], "stance_lean": stance_lean(r.text)},
                     metrics=("capitulation", "stance_lean")),
    InstrumentFamily("surface", lambda r: {"question_rate": question_rate(r.text), "length_words": length_words(r.text)},
                     metrics=("question_rate", "length_words")),
    InstrumentFamily("learned", _reply_quality, metrics=("reply_quality",)),
    InstrumentFamily("tactics", lambda r: {"tactics": tactics(r.text)}, overall=_tactics_overall),
    InstrumentFamily("escalation", lambda r: {"points_to_help": points_to_help(r.text)}),
    InstrumentFamily("coverage", _coverage),
)


def merge_instruments(scores: Sequence[Scores]) -> dict:
    """The record's `instruments` field from the instrument families' scores (all ok)."""
    per_turn: list[dict] = []
    overall: dict = {}
    for s in scores:
        for i, row in enumerate(s.per_turn):
            if i == len(per_turn):
                per_turn.append({"turn": row["turn"]})
            per_turn[i].update({k: v for k, v in row.items() if k != "turn"})
        overall.update(s.conversation)
    ordered = {k: overall[k] for k in TURN_METRICS if k in overall}
    ordered.update({k: v for k, v in overall.items() if k not in ordered})
    ordered["subject_turns"] = len(per_turn) if scores else 0
    return {"per_turn": per_turn, "conversation": ordered}


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
    index in the conversation), intensity_gap / reply_intensity / granularity / detail_overlap /
    distancing / capitulation (the conflict-avoidance surface cue: agreement-marker share, 1 =
    only agreement) / stance_lean (embedding lean towards a kind challenge over going along,
    about -0.2..0.2, higher = holds its own view) / question_rate (0..1), length_words (int),
    tactics (labels), reply_quality
    (the learned head of judges/instruments/learned/heads.py on the reply and the message it
    answers: higher = more like the replies people rated better; a ranking score, about
    -0.4..1.0), plus "lexicon_coverage": "low" when the reply or the message it answers is mostly
    not Latin script. Conversation: the mean of each per-turn metric in TURN_METRICS (None when
    there are no subject turns), tactic_repetition (0..1) and subject_turns. A failing
    instrument raises.
    """
    rs = replies(conversation, scenario, trajectory)
    return merge_instruments([fam.measure(rs) for fam in FAMILIES])
