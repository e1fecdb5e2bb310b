"""report.html: one self-contained page (inline CSS, inline SVG, a few lines of inline JS).

Sections: how to read it, models compared, one card per subject model (criteria with CIs, by task
type and by theme, persona × scenario heatmap, trajectories, instruments), continuation,
escalation timing, relational flexibility, judge agreement and instrument/judge disagreement,
errors and fidelity, then every transcript.
"""

from __future__ import annotations

import hashlib
from html import escape

from simulator.core.records import CRITERIA, MECHANISMS
from simulator.report.analysis import (
    DISTANCING_HIGH, INTENSITY_GAP_HIGH, JUDGE_HIGH, PROFILE_FEATURES, TIMINGS, ReportData,
    average_curve, escalation_counts, heatmap, per_reply_rows, tension_line, trajectory, validity_note,
)
from simulator.report.charts import criteria_bars, model_comparison, score_heatmap, trajectory_panels
from simulator.report import leaderboard_view
from simulator.report.style import CSS, JS
from simulator.report.transcript import transcript

MAX_TRANSCRIPTS = 400  # beyond this the page gets slow; records.jsonl still holds every one


def table(headers: list[str], rows: list[list[str]], cls: str = "") -> str:
    """Headers are escaped here; cells must already be safe HTML."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def stat_cell(st: dict | None) -> str:
    if not st or st.get("mean") is None:
        return '<td class="num muted">—</td>'
    ci = st.get("ci95")
    ci_s = f"[{ci[0]:.2f}–{ci[1]:.2f}] " if ci else ""  # no interval from a single value
    return f'<td class="num"><b>{st["mean"]:.2f}</b><span class="ci">{ci_s}n={st["n"]}</span></td>'


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def _h(s: object) -> str:
    return escape(str(s))


def _slug(s: str) -> str:
    """An HTML id for a model name; the hash keeps "a/b" and "a-b" apart."""
    return "".join(ch if ch.isalnum() else "-" for ch in s) + "-" + hashlib.sha1(s.encode()).hexdigest()[:6]


# ------------------------------------------------------------------ sections


def intro(d: ReportData) -> str:
    s = d.summary
    status = ", ".join(f"{_h(k)} {v}" for k, v in sorted((s.get("status") or {}).items()))
    return (f'<section id="read"><h2>How to read this report</h2><div class="note">Every score is 1..5 where '
            f'<b>5 = no failure</b> and 1 = severe failure. The four <b style="color:#0072B2">mechanisms</b> '
            f'({", ".join(MECHANISMS)}) say how empathy failed; the three <b style="color:#b07000">dimensions</b> '
            f'(cognitive, cultural, relational) say where. Means come from the first judge that succeeded on each '
            f'record, with 95% percentile-bootstrap intervals; they are broken down by task type and by theme, never '
            f'folded into one number. Error records are counted, never scored.</div>'
            f'<p>{s.get("records", len(d.records))} records ({status}); planned {_h(s.get("planned"))}; '
            f'subject models: {len(d.models)}.</p>{_distrust(s.get("distrust"))}</section>')


def _distrust(items: list[str] | None) -> str:
    if not items:
        return ""
    return ('<div class="note warn" id="distrust"><b>Distrust first</b><ul>'
            + "".join(f"<li>{_h(x)}</li>" for x in items) + "</ul></div>")


def overview(d: ReportData) -> str:
    models = d.summary.get("models") or {}
    rows = []
    for m, ms in sorted(models.items()):
        fs = ms.get("final_state") or {}
        rows.append([f'<a href="#model-{_slug(m)}">{_h(m)}</a>', f'<td class="num">{ms.get("conversations")}</td>',
                     f'<td class="num">{_pct(ms.get("continuation_rate"))}</td>',
                     stat_cell(fs.get("understood")), stat_cell(fs.get("trust"))])
    chart = ""
    if len(models) > 1:
        chart = model_comparison({m: ms.get("criteria") or {} for m, ms in sorted(models.items())},
                                 "criterion means per subject model")
    return (f'<section id="models"><h2>Subject models</h2>'
            + table(["model", "conversations (ok)", "continued (not disengaged)", "final understood",
                     "final trust"], rows) + f'<div class="scroll">{chart}</div></section>')


def _breakdown(by: dict, field: str) -> str:
    groups = (by or {}).get(field) or {}
    rows = [[f"<b>{_h(g)}</b>"] + [stat_cell(st.get(c)) for c in CRITERIA] for g, st in groups.items()]
    headers = [field] + [c.replace("_", " ") for c in CRITERIA]  # spaces let long headers wrap
    return f"<h3>By {field.replace('_', ' ')}</h3><div class='scroll'>" + table(headers, rows, "breakdown") + "</div>"


def _heatmaps(model: str, recs: list) -> str:
    box = f"hm-{_slug(model)}"
    opts = [("mean", "mean of criteria")] + [(c, c) for c in CRITERIA]
    select = "".join(f'<option value="{c}">{escape(label)}</option>' for c, label in opts)
    panes = []
    for c, label in opts:
        rows, cols, cells = heatmap(recs, None if c == "mean" else c)
        svg = score_heatmap(rows, cols, cells, f"{model}: {label} per persona × scenario")
        panes.append(f'<div class="hm" data-crit="{c}"{" hidden" if c != "mean" else ""}>{svg}</div>')
    return (f'<h3>Persona × scenario</h3><p>show <select class="hm-select" data-target="{box}">{select}</select> '
            f'<span class="muted">(cell = mean over seeds; hover for n)</span></p>'
            f'<div class="scroll" id="{box}">{"".join(panes)}</div>')


def _trajectories(model: str, recs: list, ms: dict) -> str:
    series = [trajectory(r) for r in recs if r.trajectory]
    if not series:
        return '<h3>Emotional trajectory</h3><p class="muted">no hidden-state trajectories recorded</p>'
    avg = (average_curve([u for u, _ in series]), average_curve([t for _, t in series]))
    chart = trajectory_panels(series, avg, f"{model}: persona understood and trust per reply")
    return (f'<h3>Emotional trajectory</h3><p class="muted">Thin lines: one per conversation ({len(series)}); '
            f'bold: the mean over conversations still running at that reply. Each conversation also has its own '
            f'chart in <a href="#transcripts">the transcripts</a>.</p>'
            f'<p class="validity">Agreement with people (final understood): '
            f'{_h(validity_note((ms.get("final_state_validity") or {}).get("understood")))}</p>'
            f'<div class="scroll">{chart}</div>')


def _instruments(ms: dict) -> str:
    inst = ms.get("instruments") or {}
    if not inst:
        return ""
    iv = ms.get("instrument_validity") or {}
    rows = [[_h(k), stat_cell(st), f'<td class="validity">{_h(validity_note(iv.get(k)))}</td>']
            for k, st in inst.items()]
    return ("<h3>Instruments (deterministic, per conversation mean)</h3>"
            "<p class='muted'>0..1 where higher means more of it (gap, distancing, capitulation = failure); "
            "stance_lean about -0.2..0.2, higher = holds a view of its own; length_words in words.</p>" + table(["instrument", "mean [95% CI]", "agreement with people"], rows))


def model_card(d: ReportData, model: str) -> str:
    ms = (d.summary.get("models") or {}).get(model) or {}
    recs = d.models.get(model, [])
    crit = ms.get("criteria") or {}
    val = (ms.get("validity") or {}).get("criteria") or {}
    rows = [[f'<span style="color:{"#0072B2" if c in MECHANISMS else "#b07000"}">●</span> {_h(c)}',
             "mechanism" if c in MECHANISMS else "dimension", stat_cell(crit.get(c)),
             f'<td class="validity">{_h(validity_note(val.get(c)))}</td>'] for c in CRITERIA]
    return (f'<section class="card model" id="model-{_slug(model)}"><h2>{_h(model)}</h2>'
            f'<p>{ms.get("conversations", len(recs))} ok conversations; '
            f'continuation {_pct(ms.get("continuation_rate"))}.</p>'
            f'<div class="grid-2"><div>{criteria_bars(crit, f"{model}: criterion means with 95% CI")}</div>'
            f'<div>{table(["criterion", "kind", "mean [95% CI]", "agreement with people"], rows)}'
            '<p class="muted">Agreement with people: measured on single replies from published human-labelled '
            'sets, judged without persona cards (docs/calibration.md): a check of the judge, not of these '
            'conversations.</p></div></div>'
            + _per_reply(ms) + f'<h3>Conflict avoidance at tension points</h3><p>{_h(tension_line(ms))}</p>'
            + _breakdown(ms.get("by"), "task_type") + _breakdown(ms.get("by"), "theme")
            + _heatmaps(model, recs) + _trajectories(model, recs, ms) + _instruments(ms) + "</section>")


def _per_reply(ms: dict) -> str:
    rows = per_reply_rows(ms, CRITERIA)
    if not rows:
        return ""
    cells = [[f"<b>{_h(r[0])}</b>"] + [f'<td class="num">{_h(x)}</td>' for x in r[1:]] for r in rows]
    return ("<h3>By subject reply</h3><p class='muted'>Each reply scored with the history before it.</p>"
            "<div class='scroll'>" + table(["reply"] + [c.replace("_", " ") for c in CRITERIA], cells, "breakdown")
            + "</div>")


def num(v: object) -> str:
    return f'<td class="num">{_h(v)}</td>'


def rec_link(row: dict) -> str:
    """A link to the row's transcript (its <details> opens from the #rec- anchor)."""
    return f'<a href="#rec-{_h(row["record_id"])}">{_h(row["persona"])} × {_h(row["scenario"])}</a>'


def section(anchor: str, title: str, *parts: str) -> str:
    return f'<section id="{anchor}"><h2>{_h(title)}</h2>{"".join(parts)}</section>'


def muted(text: str) -> str:
    return f'<p class="muted">{_h(text)}</p>'


def continuation(d: ReportData) -> str:
    rows = []
    for m, recs in d.models.items():
        stops: dict[str, int] = {}
        for r in recs:
            stops[str(r.conversation.stop_reason)] = stops.get(str(r.conversation.stop_reason), 0) + 1
        dis = stops.get("persona_disengaged", 0)
        rows.append([_h(m), num(len(recs)), num(dis), num(_pct(dis / len(recs) if recs else None)),
                     _h(", ".join(f"{k} {v}" for k, v in sorted(stops.items())))])
    return section("continuation", "Continuation",
                   "<p>A persona disengages after several replies in a row that did not land; early "
                   "disengagement is a relational failure the scores may miss.</p>",
                   table(["model", "ok conversations", "disengaged", "early disengagement rate", "stop reasons"], rows))


ESCALATION_NOTE = (
    "For escalation scenarios: the first subject reply that points to human help, found with a small keyword "
    "regex over subject turns (counsellor, therapist, hotline, helpline, emergency, doctor, professional, crisis "
    "line…, plus German, Spanish, Japanese and Chinese terms), against the scenario's window (not before / by, "
    "1-based replies). “Not reached”: no pointer, but the conversation ended before the window closed. The "
    "regex is coarse: it can over-count and misses other languages, so read the transcript before drawing "
    "conclusions.")


def escalation(d: ReportData) -> str:
    note = (f'<div class="note">{_h(ESCALATION_NOTE)} The regex: HELP_RE in '
            f'judges/instruments/escalation.py (case-insensitive), read from each reply\'s '
            f'points_to_help instrument value.</div>')
    if not d.escalation:
        return section("escalation", "Escalation timing", note, muted("No escalation scenarios in these records."))
    counts = [[_h(m)] + [num(c.get(k, 0)) for k in TIMINGS] for m, c in escalation_counts(d.escalation).items()]
    rows = [[_h(r["model"]), rec_link(r), num(r["seed"]), num(r["first_help"] or "—"),
             num(f'{r["not_before"]}–{r["by"]}'), num(r["replies"]), _h(r["timing"])] for r in d.escalation]
    return section("escalation", "Escalation timing", note,
                   table(["model", *TIMINGS], counts),
                   f"<details><summary>per conversation ({len(rows)})</summary>",
                   table(["model", "conversation", "seed", "first help at reply", "window", "replies", "timing"], rows),
                   "</details>")


FLEX_NOTE = (
    "Matched persona sets differ in one attribute only (culture or relationship). For each model, set and scenario "
    "this compares the subject's instrument profile across the set's members: the <b>mean pairwise absolute "
    "difference</b> of each feature (intensity = the replies' own affect intensity). <b>About 0 means it answers "
    "everyone the same way</b>: no adaptation to who is talking. Larger is not automatically better; read it with "
    "the scores.")


def flexibility(d: ReportData) -> str:
    note = f'<div class="note">{FLEX_NOTE}</div>'
    if not d.flexibility:
        return section("flexibility", "Relational flexibility", note,
                       muted("No matched set has two or more members run on the same scenario."))
    blocks = []
    for g in d.flexibility:
        rows = [[_h(p)] + [num(_fmt(v.get(f))) for f in PROFILE_FEATURES] for p, v in g["members"].items()]
        rows.append(["<b>mean pairwise |Δ|</b>"]
                    + [f'<td class="num"><b>{_fmt(g["mpad"].get(f))}</b></td>' for f in PROFILE_FEATURES])
        blocks.append(f'<h3>{_h(g["model"])} · set {_h(g["set_id"])} (varies {_h(g["varies"])}) · '
                      f'{_h(g["scenario"])}</h3>' + table(["member persona"] + list(PROFILE_FEATURES), rows))
    return section("flexibility", "Relational flexibility", note, *blocks)


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def agreement(d: ReportData) -> str:
    ja = d.summary.get("judge_agreement") or {}
    if not ja:
        body = muted("One judge only: no agreement to compute. Add judges with `empathy-sim judge RUN --model …`.")
    else:
        rows = [[_h(c), num(_fmt(v.get("alpha"))), "⚠ below 0.667 or undefined" if v.get("flag") else "ok"]
                for c, v in (ja.get("criteria") or {}).items()]
        body = (f'<p>Judges: {_h(", ".join(ja.get("judges", [])))}. Krippendorff\'s α (ordinal) per criterion, '
                f'over records both judges scored.</p>' + table(["criterion", "α", ""], rows))
    dis = [[_h(x["model"]), rec_link(x), num(x["seed"]), _h(x["criterion"]), num(x["judge"]), _h(x["instrument"]),
            num(f'{x["value"]:.2f}')] for x in d.disagreements]
    rule = (f"judge score ≥ {JUDGE_HIGH} on linguistic_distancing while instrument distancing ≥ {DISTANCING_HIGH}, "
            f"or ≥ {JUDGE_HIGH} on sentiment_attenuation while intensity_gap ≥ {INTENSITY_GAP_HIGH}")
    dtab = (table(["model", "conversation", "seed", "criterion", "judge", "instrument", "value"], dis) if dis
            else muted("none"))
    return section("agreement", "Judge agreement", body, "<h3>Where instruments and the judge disagree</h3>",
                   f"<p>Records where the judge saw no failure but an instrument measured one ({_h(rule)}).</p>", dtab)


def _counts(title: str, counts: dict) -> str:
    rows = [[_h(k), num(v)] for k, v in sorted((counts or {}).items())]
    return f"<div><h3>{_h(title)}</h3>" + (table(["kind", "count"], rows) if rows else muted("none")) + "</div>"


def _persona_fidelity(per_model: dict | None) -> str:
    rows = [[_h(m), num(x["conversations"]), num(x["persona_errors"]), num(x["resampled_turns"]),
             num(x.get("fallback_turns", 0))] for m, x in sorted((per_model or {}).items())]
    return ("<div><h3>Persona errors by persona model</h3><p>A persona turn that broke character in "
            "every sample makes its conversation a persona error: kept and shown, never scored.</p>"
            + (table(["persona model", "conversations", "persona errors", "re-sampled turns",
                      "fallback lines"], rows)
               if rows else muted("none")) + "</div>")


def errors(d: ReportData) -> str:
    s = d.summary
    rows = [[_h(e["model"]), rec_link(e), _h(e["where"]), _h(e["kind"]), _h(e["message"][:300])] for e in d.errors]
    return section("errors", "Errors and simulator fidelity",
                   "<p>Errors are infrastructure or parse failures; they are counted here and never turned into "
                   "scores. Fidelity issues are the persona simulator's own mistakes, kept apart from the "
                   "subject's.</p>",
                   '<div class="grid-2">', _counts("Non-evaluable by termination (never scored)",
                                                   s.get("non_evaluable")),
                   _counts("Errors by kind", s.get("errors_by_kind")),
                   _counts("Fidelity issues by kind", s.get("fidelity_issues")), "</div>",
                   _persona_fidelity(s.get("persona_fidelity")),
                   table(["model", "conversation", "where", "kind", "message"], rows) if rows else "")


def transcripts(d: ReportData) -> str:
    shown = d.records[:MAX_TRANSCRIPTS]
    more = (muted(f"Showing the first {MAX_TRANSCRIPTS} of {len(d.records)}; every record is in records.jsonl.")
            if len(d.records) > MAX_TRANSCRIPTS else "")
    return section("transcripts", "Transcripts",
                   "<p>Persona turns with the beats they were cued to bring in; subject replies beside the "
                   "persona's hidden state after hearing them. <mark class=\"ev\">Highlighted</mark> text is "
                   "evidence a judge quoted and the quote was verified in that turn (hover for the criterion).</p>",
                   '<button id="expand-all" type="button">expand all</button>'
                   '<button id="collapse-all" type="button">collapse all</button>',
                   more, *(transcript(r) for r in shown))


def render(d: ReportData) -> str:
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("read", "How to read"), ("models", "Models"), *([("leaderboard", "Leaderboard")]
                                                        if d.summary.get("leaderboard") else []),
        ("continuation", "Continuation"),
        ("escalation", "Escalation"), ("flexibility", "Flexibility"), ("agreement", "Judges"),
        ("errors", "Errors"), ("transcripts", "Transcripts")))
    body = (intro(d) + overview(d) + leaderboard_view.html(d.summary) + "".join(model_card(d, m) for m in d.models) + continuation(d)
            + escalation(d) + flexibility(d) + agreement(d) + errors(d) + transcripts(d))
    runs = "; ".join(d.runs)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>empathy-sim report: {_h(d.title)}</title><style>{CSS}</style></head><body>'
            f'<header class="top"><h1>empathy-sim report: {_h(d.title)}</h1>'
            f'<div class="meta">runs: {_h(runs)}</div></header>'
            f'<nav class="toc">{nav}</nav><main>{body}</main><script>{JS}</script></body></html>')
