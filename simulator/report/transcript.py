"""The transcript view of report.html: one <details> per conversation.

Each subject reply sits beside the persona's hidden state after it (understood, trust, top
emotions), the instruments' per-turn readings and the judge's per-turn note; persona turns show
the beats they were cued to bring in. Verified judge evidence is wrapped in <mark> on the turn it
cites. All record text is escaped first; highlighting then works on the escaped text, so a quote
can never inject markup.
"""

from __future__ import annotations

import re
from html import escape

from simulator.core.records import CRITERIA, JudgeVerdict, PersonaState, RunRecord, Turn
from simulator.report.analysis import help_turn_index, overall_score, per_turn_rows, trajectory
from simulator.report.charts import sparkline
from simulator.report.readings import primary_scores

# The judge's verifier ignores these at the ends of a quote (judges.llm_judges.structured._norm); so do we.
_QUOTE_ENDS = "\"'“”‘’…. "
TURN_INSTRUMENTS = (("intensity_gap", "gap"), ("granularity", "gran"), ("detail_overlap", "detail"),
                    ("distancing", "dist"), ("question_rate", "q"), ("length_words", "words"))


def quote_pattern(quote: str) -> re.Pattern[str] | None:
    """Regex for the escaped quote inside escaped text, tolerant of case and whitespace runs."""
    words = quote.strip().strip(_QUOTE_ENDS).split()
    if not words:
        return None
    return re.compile(r"\s+".join(re.escape(escape(w)) for w in words), re.I)


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, list[str]]]:
    """Overlapping highlights become one <mark> whose title lists every criterion."""
    merged: list[tuple[int, int, list[str]]] = []
    for a, b, title in sorted(spans):
        if merged and a < merged[-1][1]:
            pa, pb, titles = merged[-1]
            merged[-1] = (pa, max(pb, b), titles + [title] if title not in titles else titles)
        else:
            merged.append((a, b, [title]))
    return merged


def highlight(text: str, marks: list[tuple[str, str]]) -> str:
    """Escaped text with each (quote, title) found in it wrapped in <mark title=...>."""
    esc = escape(text)
    spans = []
    for quote, title in marks:
        pat = quote_pattern(quote)
        m = pat.search(esc) if pat else None
        if m:
            spans.append((m.start(), m.end(), title))
    out, pos = [], 0
    for a, b, titles in _merge(spans):
        out.append(esc[pos:a])
        out.append(f'<mark class="ev" title="{escape("; ".join(titles))}">{esc[a:b]}</mark>')
        pos = b
    out.append(esc[pos:])
    return "".join(out)


def evidence_marks(verdicts: list[JudgeVerdict]) -> dict[int, list[tuple[str, str]]]:
    """Verified quotes by the turn they cite, titled with the criterion (and judge)."""
    ok = [v for v in verdicts if v.status == "ok"]
    marks: dict[int, list[tuple[str, str]]] = {}
    for v in ok:
        for crit, cs in v.scores.items():
            for ev in cs.evidence:
                if ev.verified:
                    title = crit if len(ok) == 1 else f"{crit} ({v.model})"
                    marks.setdefault(ev.turn, []).append((ev.quote, title))
    return marks


def _state_panel(state: PersonaState | None, prev: PersonaState | None) -> str:
    if state is None:
        return '<div class="state muted">no hidden state recorded</div>'

    def delta(cur: int, old: int | None) -> str:
        if old is None or cur == old:
            return ""
        return f' <span class="delta">({"+" if cur > old else "−"}{abs(cur - old)})</span>'

    top = sorted(state.emotions.items(), key=lambda kv: -kv[1])[:3]
    emo = ", ".join(f"{escape(k)} {v}" for k, v in top)
    notes = "".join(f"<li>{escape(n)}</li>" for n in (state.appraisal.notes if state.appraisal else []))
    return (f'<div class="state"><div class="state-h">persona hidden state</div>'
            f'understood <b>{state.understood}</b>{delta(state.understood, prev and prev.understood)}<br>'
            f'trust <b>{state.trust}</b>{delta(state.trust, prev and prev.trust)}<br>'
            f'engagement {state.engagement}<br><span class="muted">feels:</span> {emo}'
            + (f'<ul class="notes">{notes}</ul>' if notes else "") + "</div>")


def _instrument_line(row: dict | None) -> str:
    if not row:
        return ""
    parts = [f"{short} {row[k]:.2f}" if isinstance(row.get(k), float) else f"{short} {row.get(k)}"
             for k, short in TURN_INSTRUMENTS if k in row]
    return f'<div class="inst" title="deterministic instruments for this reply">{escape(" · ".join(parts))}</div>'


def _turn_html(rec: RunRecord, t: Turn, ctx: dict) -> str:
    text = highlight(t.text, ctx["marks"].get(t.index, []))
    if t.speaker == "persona":
        beats = "".join(f'<span class="beat" title="{escape(ctx["beats"].get(b, ("", ""))[1])}">beat: {escape(b)} '
                        f'({escape(ctx["beats"].get(b, ("?", ""))[0])})</span>' for b in t.beats)
        return (f'<div class="turn persona"><div class="who">{escape(rec.persona.name)} '
                f'<span class="muted">turn {t.index}</span>{beats}</div><div class="text">{text}</div></div>')
    n = ctx["reply_no"][t.index]
    flags = '<span class="flag">points to human help</span>' if t.index == ctx["help_turn"] else ""
    judge = "".join(_turn_score_html(ts) for ts in ctx["turn_scores"].get(t.index, []))
    return (f'<div class="turn subject"><div class="bubble"><div class="who">subject reply {n} '
            f'<span class="muted">turn {t.index}</span>{flags}</div><div class="text">{text}</div>'
            f'{_instrument_line(ctx["inst"].get(t.index))}{judge}</div>'
            f'{_state_panel(ctx["states"].get(n), ctx["states"].get(n - 1))}</div>')


def _turn_score_html(ts) -> str:
    """One reply's judge scores: per criterion where the judge scores replies one by one."""
    if ts.criteria:
        cells = " · ".join(f"{escape(c)} {x:.1f}" for c, x in ts.criteria.items())
        return f'<div class="tscore">judge, this reply (1-5): {cells}</div>'
    return f'<div class="tscore">judge turn score {ts.score}: {escape(ts.note)}</div>'


def _context(rec: RunRecord) -> dict:
    subject = rec.conversation.subject_turns()
    ok = next((v for v in rec.verdicts if v.status == "ok"), None)
    turn_scores: dict[int, list] = {}
    for ts in (ok.per_turn if ok else []):
        turn_scores.setdefault(ts.turn, []).append(ts)
    return {
        "marks": evidence_marks(rec.verdicts),
        "beats": {b.id: (b.kind, b.content) for b in rec.scenario.beats},
        "reply_no": {t.index: n for n, t in enumerate(subject, start=1)},
        "states": {s.after_reply: s for s in rec.trajectory},
        "inst": {r["turn"]: r for r in per_turn_rows(rec) if isinstance(r.get("turn"), int)},
        "help_turn": help_turn_index(rec),
        "turn_scores": turn_scores,
    }


def _verdict_html(v: JudgeVerdict) -> str:
    if v.status != "ok":
        err = f"{v.error.kind}: {v.error.message}" if v.error else "unknown error"
        return f'<div class="verdict error"><b>judge {escape(v.model)}</b> failed — {escape(err)} (not a score)</div>'
    rows = []
    for crit in CRITERIA:
        cs = v.scores.get(crit)
        if cs is None:
            continue
        ev = "".join(
            f'<li class="{"ok" if e.verified else "bad"}">turn {e.turn}: “{escape(e.quote)}” '
            f'{"(verified)" if e.verified else "(not found in that turn: not highlighted)"}</li>'
            for e in cs.evidence)
        shown = f"{cs.value:.2f}" if cs.value is not None else str(cs.score)
        conf = f' <span class="muted">confidence {cs.confidence:.2f}</span>' if cs.confidence is not None else ""
        rows.append(f'<tr><td>{escape(crit)}</td><td class="num s{cs.score}">{shown}{conf}</td>'
                    f'<td>{escape(cs.rationale)}{f"<ul>{ev}</ul>" if ev else ""}</td></tr>')
    same = ' <span class="flag">same model as subject</span>' if v.same_model_as_subject else ""
    return (f'<div class="verdict"><b>judge {escape(v.model)}</b> <span class="muted">{escape(v.judge_version)}'
            f'</span>{same}<table><tr><th>criterion</th><th>score</th><th>rationale and evidence</th></tr>'
            f'{"".join(rows)}</table>{_tension_html(v)}<p>{escape(v.overall_rationale)}</p></div>')


def _tension_html(v: JudgeVerdict) -> str:
    if not v.tension:
        return ""
    rows = "".join(
        f'<tr><td>{escape(t.beat)}{" (pushback)" if t.pushback else ""}</td><td>{escape(t.due)}</td>'
        f'<td class="num">{t.turn}</td><td class="num">{t.p_healthy:.2f}</td>'
        f'<td>{"gave in" if t.gave_in else "held"}</td></tr>' for t in v.tension)
    flip = f"turn of flip {v.turn_of_flip}" if v.turn_of_flip is not None else "no flip under pushback"
    return (f'<p><b>Tension points</b> ({flip}; {v.flips} flip(s))</p><table><tr><th>beat</th><th>due</th>'
            f'<th>turn</th><th>P(healthy)</th><th>verdict</th></tr>{rows}</table>')


def _summary_line(rec: RunRecord) -> str:
    scores = primary_scores(rec)
    ov = overall_score(scores)
    badge = ('<span class="badge err">error</span>' if rec.status != "ok"
             else f'<span class="badge">mean of criteria {ov:.1f}</span>' if ov is not None else "")
    return (f'<summary>{escape(rec.key.subject)} · <b>{escape(rec.persona.id)}</b> × '
            f'<b>{escape(rec.scenario.id)}</b> · seed {rec.key.seed} · '
            f'{escape(str(rec.conversation.stop_reason))} {badge}</summary>')


def transcript(rec: RunRecord) -> str:
    ctx = _context(rec)
    u, tr = trajectory(rec)
    spark = (sparkline(u, tr, f"understood and trust, {rec.persona.id} × {rec.scenario.id}")
             + '<div class="muted">understood — solid, trust — dashed</div>') if u else ""
    conv = rec.conversation
    problems = "".join(f'<li>{escape(i.kind)} at turn {i.turn}: {escape(i.detail)}</li>' for i in conv.fidelity_issues)
    err = (f'<p class="error">conversation error {escape(conv.error.kind)}: {escape(conv.error.message)}</p>'
           if conv.error else "")
    head = (f'<div class="conv-head"><div><b>{escape(rec.scenario.title)}</b> — {escape(rec.scenario.theme)}, '
            f'{escape(rec.scenario.task_type)}<br>{escape(rec.persona.name)}, '
            f'{escape(rec.persona.relationship.kind)} ({escape(rec.persona.relationship.distance)}); '
            f'record {escape(rec.record_id)}</div><div class="spark">{spark}</div></div>')
    turns = "".join(_turn_html(rec, t, ctx) for t in conv.turns)
    fid = (f'<div class="fidelity">persona fidelity issues (simulator, not subject):<ul>{problems}</ul></div>'
           if problems else "")
    verdicts = "".join(_verdict_html(v) for v in rec.verdicts) or '<p class="muted">not judged</p>'
    if rec.status != "ok" and rec.verdicts:
        verdicts = '<p class="error">This record failed: its judge scores are shown but not counted.</p>' + verdicts
    return (f'<details class="conv" id="rec-{escape(rec.record_id)}">{_summary_line(rec)}'
            f'{head}{err}{fid}<div class="turns">{turns}</div>{verdicts}</details>')
