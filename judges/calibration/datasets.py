"""Readers for the human-labelled calibration data, and deterministic sampling.

The data lives outside the repository (see ../shared/data/README.md) and is read from a
directory given at run time; nothing here embeds or copies it. Files and columns, as published:

- epitome/{emotional-reactions,interpretations,explorations}-reddit.csv:
  sp_id, rp_id, seeker_post, response_post, level (0/1/2), rationales ("|"-separated spans)
- pair/pair_data.csv: prompt, hq1, hq2, mq1, lq1..lq5
- welivita_pu/dataset_and_ratings.csv: dialog_id, emotion, situation, speaker_uttr,
  response_{human,chatgpt,chatgpt_empathy}, rating_{...} (1 Bad, 2 Okay, 3 Good), and more
"""

from __future__ import annotations

import csv
import random
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

EPITOME_FILES = {
    "emotional_reactions": "emotional-reactions-reddit.csv",
    "interpretations": "interpretations-reddit.csv",
    "explorations": "explorations-reddit.csv",
}
EPITOME_COLUMNS = ("sp_id", "rp_id", "seeker_post", "response_post", "level", "rationales")
PAIR_FILE = "pair/pair_data.csv"
PAIR_REPLIES = ("hq1", "hq2", "mq1", "lq1", "lq2", "lq3", "lq4", "lq5")
PAIR_HIGH = ("hq1", "hq2")
PAIR_LOW = ("lq1", "lq2", "lq3", "lq4", "lq5")
WP_FILE = "welivita_pu/dataset_and_ratings.csv"
WP_KINDS = ("human", "chatgpt", "chatgpt_empathy")
WP_COLUMNS = ("dialog_id", "emotion", "situation", "speaker_uttr") + tuple(
    f"{p}_{k}" for p in ("response", "rating") for k in WP_KINDS
)

T = TypeVar("T")


class DatasetError(ValueError):
    """A data file is missing, or lacks the columns its reader needs."""


@dataclass(frozen=True)
class EpitomeItem:
    sp_id: str
    rp_id: str
    seeker: str
    response: str
    level: int
    rationales: tuple[str, ...]


@dataclass(frozen=True)
class PairItem:
    prompt: str
    replies: dict[str, str]  # hq1, hq2, mq1, lq1..lq5 -> text


@dataclass(frozen=True)
class WPItem:
    dialog_id: str
    emotion: str
    situation: str
    speaker: str
    replies: dict[str, str]  # human, chatgpt, chatgpt_empathy -> text
    ratings: dict[str, int]  # same keys -> 1..3


@dataclass
class ReadStats:
    """How many rows a reader saw and how many it skipped (unusable label or empty text)."""

    rows: int = 0
    skipped: int = 0


def _rows(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    # utf-8-sig drops a byte-order mark; newline="" lets csv handle quoted newlines.
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            raise DatasetError(f"{path}: missing columns {missing} (header: {header})")
        reader.fieldnames = header
        return [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]


_SPACES = re.compile(r"[ \t\u00a0]+")


def clean(text: str) -> str:
    """Runs of spaces/tabs collapsed to one space, ends stripped (the three EPITOME files carry
    the same replies with different spacing; identical texts keep judge calls cacheable)."""
    return _SPACES.sub(" ", text).strip()


def _int(value: str, allowed: Sequence[int]) -> int | None:
    try:
        n = int(float(value.strip()))
    except ValueError:
        return None
    return n if n in allowed else None


def read_epitome(data_dir: Path, mechanism: str, stats: ReadStats | None = None) -> list[EpitomeItem]:
    """One EPITOME mechanism file as items, in file order; rows with no usable level are skipped."""
    if mechanism not in EPITOME_FILES:
        raise DatasetError(f"unknown EPITOME mechanism {mechanism!r}; known: {sorted(EPITOME_FILES)}")
    stats = stats if stats is not None else ReadStats()
    out = []
    for row in _rows(Path(data_dir) / "epitome" / EPITOME_FILES[mechanism], EPITOME_COLUMNS):
        stats.rows += 1
        level = _int(row["level"], (0, 1, 2))
        if level is None or not clean(row["response_post"]):
            stats.skipped += 1
            continue
        spans = tuple(s.strip() for s in row["rationales"].split("|") if s.strip())
        out.append(EpitomeItem(row["sp_id"], row["rp_id"], clean(row["seeker_post"]),
                               clean(row["response_post"]), level, spans))
    return out


def read_pair(data_dir: Path, stats: ReadStats | None = None) -> list[PairItem]:
    """PAIR prompts with their eight reflections; rows with an empty prompt or reply are skipped."""
    stats = stats if stats is not None else ReadStats()
    out = []
    for row in _rows(Path(data_dir) / PAIR_FILE, ("prompt",) + PAIR_REPLIES):
        stats.rows += 1
        replies = {k: clean(row[k]) for k in PAIR_REPLIES}
        if not clean(row["prompt"]) or not all(replies.values()):
            stats.skipped += 1
            continue
        out.append(PairItem(clean(row["prompt"]), replies))
    return out


def read_welivita_pu(data_dir: Path, stats: ReadStats | None = None) -> list[WPItem]:
    """Welivita & Pu situations with three rated replies; rows missing a rating or reply are skipped."""
    stats = stats if stats is not None else ReadStats()
    out = []
    for row in _rows(Path(data_dir) / WP_FILE, WP_COLUMNS):
        stats.rows += 1
        replies = {k: clean(row[f"response_{k}"]) for k in WP_KINDS}
        ratings = {k: _int(row[f"rating_{k}"], (1, 2, 3)) for k in WP_KINDS}
        if not all(replies.values()) or any(v is None for v in ratings.values()):
            stats.skipped += 1
            continue
        out.append(WPItem(row["dialog_id"], row["emotion"], clean(row["situation"]),
                          clean(row["speaker_uttr"]), replies, ratings))  # type: ignore[arg-type]
    return out


def sample(items: Sequence[T], limit: int | None, seed: int, name: str) -> list[T]:
    """A deterministic sample of at most `limit` items, kept in file order (None: all items).

    Uses a local random.Random seeded with (seed, name), never the global generator, so the same
    seed and data give the same sample on every run and platform. Samples are nested: the first
    k positions of one seeded permutation, so a larger limit keeps every item of a smaller one
    (cached judge calls stay useful). Data sets with the same name and length (the three
    row-aligned EPITOME files) get the same row positions.
    """
    if limit is None or limit >= len(items):
        return list(items)
    return [items[i] for i in sorted(sample_order(len(items), seed, name)[: max(0, limit)])]


def sample_order(n: int, seed: int, name: str) -> list[int]:
    """The seeded permutation behind `sample`: its first k positions are the k-item sample, so a
    long job that works through items in this order covers every smaller sample on the way."""
    order = list(range(n))
    random.Random(f"{seed}:{name}").shuffle(order)
    return order


def resolve_data_dir(given: str | Path | None) -> Path:
    """--data as given, else the first of ../shared/data relative to the CWD or the repo root.

    Returns the path even when it does not exist (the caller reports it); with no --data, the
    CWD-relative candidate is returned when neither exists.
    """
    if given is not None:
        return Path(given).expanduser()
    repo_root = Path(__file__).resolve().parents[2]
    candidates = [Path.cwd() / ".." / "shared" / "data", repo_root / ".." / "shared" / "data"]
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    return candidates[0]
