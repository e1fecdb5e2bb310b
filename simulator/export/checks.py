"""What an export may contain: the OpenAI chat fine-tuning shape, and which records may feed dpo.

openai_problems: a row is {"messages": [...]} and nothing else; each message is {"role", "content"}
and nothing else, role system/user/assistant, content a non-empty string; a system message only
first; at least one user and one assistant message; the assistant speaks last (OpenAI's chat
fine-tuning format: https://platform.openai.com/docs/guides/supervised-fine-tuning).

dpo_eligible: a preference pair is only as good as its two conversations, so dpo takes a record
only when (1) its persona stayed in character: no fidelity issue recorded at all, re-sampled
samples included (a persona that needed re-sampling was drifting), and (2) its primary judge is
calibrated on the preference criterion: simulator/core/validity.json holds a figure for that judge and
criterion that beats the reply-length baseline (for the mean of all criteria, every criterion
must). `allow_uncalibrated` lifts (2) only, and the card says so.
"""

from __future__ import annotations

from collections import Counter

from simulator.core.validity import criterion_validity
from simulator.core.records import CRITERIA, RunRecord
from simulator.report.readings import primary_verdict

ROLES = ("system", "user", "assistant")


def openai_problems(row: dict) -> list[str]:
    """Everything that keeps `row` from being an OpenAI chat fine-tuning example (empty = fine)."""
    if set(row) != {"messages"}:
        return [f"keys {sorted(row)}: only 'messages' is allowed"]
    msgs = row["messages"]
    if not isinstance(msgs, list) or not msgs:
        return ["messages: a non-empty list is required"]
    out = []
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or set(m) != {"role", "content"}:
            out.append(f"messages[{i}]: exactly the keys role and content are allowed")
            continue
        if m["role"] not in ROLES:
            out.append(f"messages[{i}].role {m['role']!r}: one of {', '.join(ROLES)}")
        if m["role"] == "system" and i:
            out.append(f"messages[{i}]: a system message may only come first")
        if not isinstance(m["content"], str) or not m["content"].strip():
            out.append(f"messages[{i}].content: a non-empty string is required")
    roles = [m.get("role") for m in msgs if isinstance(m, dict)]
    if "user" not in roles:
        out.append("messages: no user message")
    if not roles or roles[-1] != "assistant":
        out.append("messages: the last message must be the assistant's")
    return out


def _judge_reason(rec: RunRecord, criterion: str | None) -> str | None:
    v = primary_verdict(rec)
    if v is None:
        return "no judge verdict"
    of = "" if criterion else " (the mean needs every criterion)"
    for c in [criterion] if criterion else list(CRITERIA):
        val = criterion_validity(v.model, v.method, v.judge_version, c)
        if val["status"] != "calibrated":
            return f"judge uncalibrated on {c}{of}"
        if not val["beats_length"]:
            return f"judge no better than reply length on {c}{of}"
    return None


def dpo_eligible(recs: list[RunRecord], criterion: str | None,
                 allow_uncalibrated: bool = False) -> tuple[list[RunRecord], Counter]:
    """(records dpo may pair, Counter of why the others were dropped: one reason per record)."""
    kept, dropped = [], Counter()
    for r in recs:
        issues = sorted({i.kind for i in r.conversation.fidelity_issues})
        reason = (f"persona out of character ({', '.join(issues)})" if issues
                  else None if allow_uncalibrated else _judge_reason(r, criterion))
        if reason:
            dropped[reason] += 1
        else:
            kept.append(r)
    return kept, dropped
