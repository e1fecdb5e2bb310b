"""ESConv and FailedESConv, read into one shape, and a persona card seeded from each conversation.

The data lives outside the repository (../shared/data/esconv, see its README) and is read at run
time. Two formats, as published:

- train.jsonl (ESConv, Liu et al. 2021): one conversation per line; dialog turns are
  {"speaker": "usr"|"sys", "text", "strategy"}; survey_score.seeker holds
  initial_emotion_intensity, final_emotion_intensity, empathy, relevance (strings "1".."5").
- failed_shared.json (FailedESConv, same release): a JSON list in the older format, turns
  {"speaker": "speaker"|"listener", "content", "annotation"}.

The two formats differ in ways a scorer could pick up instead of support quality (FailedESConv
texts end in "\\n"; speakers split a message over several turns more often). The reader strips
whitespace and merges consecutive messages of one speaker into one turn, so a replay sees the
same shape from both files.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

ESCONV_FILE = "esconv/train.jsonl"
FAILED_FILE = "esconv/failed_shared.json"

# ESConv emotion_type -> labels of simulator/core/emotions.yaml (the persona's hidden emotions).
EMOTION_MAP: dict[str, tuple[str, ...]] = {
    "anxiety": ("anxiety", "worry"),
    "depression": ("hopelessness", "sadness"),
    "sadness": ("sadness", "hurt"),
    "anger": ("anger", "frustration"),
    "fear": ("fear", "dread"),
    "disgust": ("contempt", "anger"),
    "shame": ("shame", "self_blame"),
    "nervousness": ("anxiety", "insecurity"),
    "guilt": ("guilt", "self_blame"),
    "jealousy": ("jealousy", "insecurity"),
    "pain": ("hurt", "sadness"),
}
DEFAULT_EMOTIONS = ("sadness", "stress")


@dataclass(frozen=True)
class Exchange:
    """What the seeker said since the last reply, and the supporter's reply to it."""

    seeker: str
    supporter: str


@dataclass(frozen=True)
class RealConversation:
    id: str                       # "esconv/<line>" or "failed/<index>"
    source: str                   # "esconv" (successful) or "failed"
    emotion_type: str
    problem_type: str
    situation: str
    initial_intensity: int | None  # the seeker's own 1..5 before the talk
    final_intensity: int | None    # and after (None without a final survey)
    empathy: int | None            # the seeker's rating of the supporter's empathy, 1..5
    relevance: int | None
    exchanges: tuple[Exchange, ...]

    @property
    def failed(self) -> bool:
        return self.source == "failed"

    @property
    def intensity_drop(self) -> int | None:
        if self.initial_intensity is None or self.final_intensity is None:
            return None
        return self.initial_intensity - self.final_intensity

    def split(self) -> str:
        """'tune' or 'report': a fixed half by hash of the id, for tuning without peeking."""
        return "tune" if int(hashlib.sha256(self.id.encode()).hexdigest(), 16) % 2 == 0 else "report"


class EsconvError(ValueError):
    """The ESConv files are missing or not in the published shape."""


def _int(v: object) -> int | None:
    try:
        i = int(str(v).strip())
    except (TypeError, ValueError):
        return None
    return i if 1 <= i <= 5 else None


def _merge(turns: list[tuple[str, str]]) -> tuple[Exchange, ...]:
    """(speaker 'seeker'|'supporter', text) in order -> exchanges ending in a supporter reply.

    Consecutive messages of one speaker become one turn. Seeker words after the last reply are
    dropped (there is no reply to appraise); a reply before any seeker words gets seeker ''.
    """
    merged: list[list[str]] = []
    for who, text in turns:
        text = " ".join(text.split())
        if not text:
            continue
        if merged and merged[-1][0] == who:
            merged[-1][1] += " " + text
        else:
            merged.append([who, text])
    out, pending = [], ""
    for who, text in merged:
        if who == "seeker":
            pending = text
        else:
            out.append(Exchange(seeker=pending, supporter=text))
            pending = ""
    return tuple(out)


def _conversation(raw: dict, source: str, cid: str) -> RealConversation:
    seeker = (raw.get("survey_score") or {}).get("seeker") or {}
    if source == "esconv":
        turns = [("seeker" if d.get("speaker") == "usr" else "supporter", d.get("text") or "")
                 for d in raw["dialog"]]
    else:
        turns = [("seeker" if d.get("speaker") == "speaker" else "supporter", d.get("content") or "")
                 for d in raw["dialog"]]
    return RealConversation(
        id=cid, source=source, emotion_type=str(raw.get("emotion_type", "")).strip().lower(),
        problem_type=str(raw.get("problem_type", "")).strip(),
        situation=" ".join(str(raw.get("situation", "")).split()),
        initial_intensity=_int(seeker.get("initial_emotion_intensity")),
        final_intensity=_int(seeker.get("final_emotion_intensity")),
        empathy=_int(seeker.get("empathy")), relevance=_int(seeker.get("relevance")),
        exchanges=_merge(turns),
    )


def read_esconv(data_dir: Path) -> list[RealConversation]:
    """Both files, successful (ESConv) first; conversations without any reply are skipped."""
    main, failed = Path(data_dir) / ESCONV_FILE, Path(data_dir) / FAILED_FILE
    for p in (main, failed):
        if not p.is_file():
            raise EsconvError(f"ESConv file not found: {p}")
    out = []
    try:
        with main.open(encoding="utf-8") as f:
            for i, line in enumerate(f):
                if line.strip():
                    out.append(_conversation(json.loads(line), "esconv", f"esconv/{i}"))
        rows = json.loads(failed.read_text("utf-8"))
        out += [_conversation(raw, "failed", f"failed/{i}") for i, raw in enumerate(rows)]
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise EsconvError(f"ESConv data not in the published shape: {type(e).__name__}: {e}") from e
    return [c for c in out if c.exchanges]


def seeded_persona(conv: RealConversation):
    """A persona and scenario card seeded from the conversation's survey fields only:
    situation, emotion_type and initial_emotion_intensity (1..5 -> 20..100). Nothing from the
    outcome (final intensity, empathy, failed or not) goes in."""
    from simulator.core.cards import Persona, Scenario

    level = 20 * (conv.initial_intensity or 3)
    labels = EMOTION_MAP.get(conv.emotion_type, DEFAULT_EMOTIONS)
    emotions = {labels[0]: level, labels[1]: max(0, level - 20)}
    situation = conv.situation or f"{conv.problem_type or 'a hard time'}"
    persona = Persona.model_validate({
        "id": "esconv_seeker", "name": "the seeker", "language": "en",
        "culture": {"background": "an adult who came to an online emotional-support chat",
                    "norms": {"directness": "medium", "formality": "medium",
                              "emotional_display": "says what they feel when asked"}},
        "relationship": {"kind": "stranger", "distance": "acquainted",
                         "expects": "a peer supporter who listens, understands and helps think it through"},
        "emotional_arc": {"starting_emotions": emotions, "starting_trust": 40},
        "speaking_style": "short chat messages",
    })
    scenario = Scenario.model_validate({
        "id": "esconv_conversation", "title": conv.problem_type or "support", "theme": "grief"
        if conv.emotion_type in ("sadness", "depression") else "conflict" if conv.emotion_type in ("anger", "disgust")
        else "shame", "task_type": "support", "situation": situation,
        "persona_goal": "to feel heard and find some way forward",
        "expectations": {"emotions": emotions, "salient_details": [situation],
                         "healthy": "listens, reflects the feeling and the situation, explores, then helps"},
        "max_turns": 40, "min_turns": 1,
    })
    return persona, scenario
