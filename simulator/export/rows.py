"""Rows for `empathy-sim export`: pure functions from RunRecords to JSON-ready dicts.

openai  {"messages": [...]}: persona turns as "user", subject replies as "assistant", an optional
        system message first; trailing persona turns are dropped so every row ends with the
        assistant (OpenAI chat fine-tuning learns from assistant turns).
hf      one flat row per record with the same keys and value types in every row, so
        `datasets.load_dataset("json", data_files=...)` infers one schema: metadata columns,
        score_<criterion> (int or null), score_mean (float or null) and the messages list.
dpo     preference pairs in TRL's conversational format: {"prompt": [messages], "chosen":
        [assistant message], "rejected": [assistant message], ...metadata}. Two replies to the same
        prefix rarely exist except at the start, so pairs are built at the FIRST subject reply:
        records with the same persona, scenario and opening persona text (across subject models and
        seeds) answer the same prompt. chosen = the reply whose record has the higher judge score on
        the selected criterion (or the mean of all criteria); ties and identical replies are
        skipped. The score judges the whole conversation, so it is a proxy for the first reply's
        quality: say so when you train on it.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from simulator.core.records import CRITERIA, RunRecord
from simulator.report.analysis import score_of
from simulator.report.readings import primary_scores

FORMATS = ("openai", "hf", "dpo")


def keep(rec: RunRecord, *, personas: set[str] | None = None, scenarios: set[str] | None = None,
         min_score: float | None = None, criterion: str | None = None) -> bool:
    """Evaluable (status ok, no non-evaluable termination) and inside every filter given; a record
    with no score fails a --min-score."""
    if not rec.evaluable:
        return False
    if personas and rec.persona.id not in personas:
        return False
    if scenarios and rec.scenario.id not in scenarios:
        return False
    if min_score is not None:
        s = score_of(rec, criterion)
        return s is not None and s >= min_score
    return True


def chat_messages(rec: RunRecord, system: str | None = None) -> list[dict]:
    """Alternating user/assistant messages ending with the assistant (empty if no reply)."""
    msgs: list[dict] = []
    for t in rec.conversation.turns:
        role = "user" if t.speaker == "persona" else "assistant"
        if msgs and msgs[-1]["role"] == role:
            msgs[-1] = {"role": role, "content": msgs[-1]["content"] + "\n\n" + t.text}  # keep alternation
        else:
            msgs.append({"role": role, "content": t.text})
    while msgs and msgs[-1]["role"] != "assistant":
        msgs.pop()
    if msgs and msgs[0]["role"] != "user":
        return []  # a conversation the subject opened has no prompt to learn from
    return ([{"role": "system", "content": system}] if system and msgs else []) + msgs


def openai_row(rec: RunRecord, system: str | None = None) -> dict | None:
    msgs = chat_messages(rec, system)
    return {"messages": msgs} if msgs else None


def _judge_model(rec: RunRecord) -> str | None:
    return next((v.model for v in rec.verdicts if v.status == "ok"), None)


def metadata(rec: RunRecord) -> dict:
    return {
        "record_id": rec.record_id,
        "persona": rec.persona.id,
        "scenario": rec.scenario.id,
        "theme": rec.scenario.theme,
        "task_type": rec.scenario.task_type,
        "language": rec.scenario.language or rec.persona.language,
        "subject_model": rec.key.subject,
        "seed": rec.key.seed,
    }


def hf_row(rec: RunRecord, system: str | None = None) -> dict | None:
    msgs = chat_messages(rec, system)
    if not msgs:
        return None
    scores = primary_scores(rec)
    mean = score_of(rec, None)
    return {
        **metadata(rec),
        "stop_reason": str(rec.conversation.stop_reason),
        "subject_turns": len(rec.conversation.subject_turns()),
        "judge_model": _judge_model(rec),
        **{f"score_{c}": scores.get(c) for c in CRITERIA},
        "score_mean": None if mean is None else float(mean),
        "messages": msgs,
    }


def first_exchange(rec: RunRecord, system: str | None = None) -> tuple[list[dict], str] | None:
    """(prompt messages before the first subject reply, that reply), or None."""
    prompt: list[dict] = [{"role": "system", "content": system}] if system else []
    for t in rec.conversation.turns:
        if t.speaker == "subject":
            return (prompt, t.text) if any(m["role"] == "user" for m in prompt) else None
        prompt.append({"role": "user", "content": t.text})
    return None


def dpo_rows(recs: list[RunRecord], criterion: str | None = None, min_score: float | None = None,
             system: str | None = None) -> list[dict]:
    """Every pair with differing scores inside a (persona, scenario, opening) group.

    --min-score applies to the chosen side only: a pair needs a good answer, and the
    rejected answer is the point of the pair, so it is not filtered away.
    """
    groups: dict[tuple, list[tuple[RunRecord, list[dict], str, float]]] = defaultdict(list)
    for r in sorted(recs, key=lambda r: (r.persona.id, r.scenario.id, r.key.subject, r.key.seed)):
        ex, s = first_exchange(r, system), score_of(r, criterion)
        if ex is None or s is None:
            continue
        opening = tuple(m["content"] for m in ex[0] if m["role"] == "user")
        groups[(r.persona.id, r.scenario.id, opening)].append((r, ex[0], ex[1], s))
    rows = []
    for members in groups.values():
        for a, b in combinations(members, 2):
            if a[3] == b[3] or a[2].strip() == b[2].strip():
                continue  # a tie says nothing; identical replies teach nothing
            win, lose = (a, b) if a[3] > b[3] else (b, a)
            if min_score is not None and win[3] < min_score:
                continue
            rows.append({
                "prompt": win[1],
                "chosen": [{"role": "assistant", "content": win[2]}],
                "rejected": [{"role": "assistant", "content": lose[2]}],
                "criterion": criterion or "mean",
                "chosen_score": float(win[3]), "rejected_score": float(lose[3]),
                **{k: v for k, v in metadata(win[0]).items() if k not in ("record_id", "subject_model", "seed")},
                "chosen_model": win[0].key.subject, "rejected_model": lose[0].key.subject,
                "chosen_record_id": win[0].record_id, "rejected_record_id": lose[0].record_id,
            })
    return rows


def build_rows(fmt: str, recs: list[RunRecord], *, criterion: str | None = None,
               min_score: float | None = None, system: str | None = None) -> list[dict]:
    """recs are already filtered (for dpo, without --min-score: see dpo_rows)."""
    if fmt == "dpo":
        return dpo_rows(recs, criterion, min_score, system)
    make = openai_row if fmt == "openai" else hf_row
    return [row for row in (make(r, system) for r in recs) if row is not None]
