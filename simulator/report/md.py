"""report.md: the same numbers as report.html as plain Markdown tables (no charts, no transcripts)."""

from __future__ import annotations

from simulator.report import leaderboard_view
from simulator.core.records import CRITERIA
from simulator.report.analysis import (
    DISTANCING_HIGH, INTENSITY_GAP_HIGH, JUDGE_HIGH, PROFILE_FEATURES, TIMINGS, ReportData,
    escalation_counts, per_reply_rows, tension_line, validity_note,
)


def cell(s: object) -> str:
    """Markdown-table-safe text: record text can hold pipes, newlines and HTML."""
    return (str(s).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
            .replace("<", "&lt;").replace(">", "&gt;"))


def md_table(headers: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return out + [""]


def stat(st: dict | None) -> str:
    if not st or st.get("mean") is None:
        return "—"
    ci = st.get("ci95")
    return f"{st['mean']:.2f} [{ci[0]:.2f}–{ci[1]:.2f}] n={st['n']}" if ci else f"{st['mean']:.2f} n={st['n']}"


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def _model(name: str, ms: dict) -> list[str]:
    out = [f"## {cell(name)}", "",
           f"{ms.get('conversations')} ok conversations; continuation rate {ms.get('continuation_rate')}.", ""]
    crit = ms.get("criteria") or {}
    val = (ms.get("validity") or {}).get("criteria") or {}
    judge = ms.get("validity") or {}
    if judge:
        out += [f"Judge {cell(judge.get('judge'))} ({cell(judge.get('method'))}, {cell(judge.get('judge_version'))}); "
                "beside each score, how well this judge agreed with people on human-labelled data (single "
                "replies from published sets, judged without persona cards: a check of the judge, not of "
                "these conversations).", ""]
    out += md_table(["criterion", "mean [95% CI] n", "agreement with people"],
                    [[c, stat(crit.get(c)), validity_note(val.get(c))] for c in CRITERIA])
    if ms.get("per_reply"):
        out += ["### By subject reply (each scored with the history before it)", ""]
        out += md_table(["reply"] + list(CRITERIA), per_reply_rows(ms, CRITERIA))
    out += ["### Conflict avoidance at tension points", "", tension_line(ms), ""]
    for field in ("task_type", "theme"):
        groups = (ms.get("by") or {}).get(field) or {}
        out += [f"### By {field.replace('_', ' ')}", ""]
        rows = [[g] + [stat(st.get(c)) for c in CRITERIA] for g, st in groups.items()]
        out += md_table([field] + list(CRITERIA), rows)
    fs = ms.get("final_state") or {}
    out += ["### Final persona state", ""]
    fv = ms.get("final_state_validity") or {}
    out += md_table(["", "mean [95% CI] n", "agreement with people"],
                    [[k, stat(fs.get(k)), validity_note(fv.get(k))] for k in ("understood", "trust")])
    inst = ms.get("instruments") or {}
    if inst:
        out += ["### Instruments (per conversation mean)", ""]
        iv = ms.get("instrument_validity") or {}
        out += md_table(["instrument", "mean [95% CI] n", "agreement with people"],
                        [[k, stat(v), validity_note(iv.get(k))] for k, v in inst.items()])
    return out


def _escalation(d: ReportData) -> list[str]:
    out = ["## Escalation timing", "",
           "First subject reply pointing to human help, found by a coarse keyword regex over subject turns "
           "(HELP_RE in judges/instruments/escalation.py, per reply as the points_to_help instrument: counsellor, therapist, hotline, helpline, emergency, doctor, "
           "professional, crisis line… plus German, Spanish, Japanese and Chinese terms), against the scenario's "
           "window (1-based replies). “not reached”: no pointer, but the conversation ended before the window "
           "closed.", ""]
    if not d.escalation:
        return out + ["No escalation scenarios.", ""]
    counts = escalation_counts(d.escalation)
    out += md_table(["model", *TIMINGS], [[m] + [c.get(k, 0) for k in TIMINGS] for m, c in counts.items()])
    out += md_table(["model", "persona", "scenario", "seed", "first help", "window", "timing"],
                    [[r["model"], r["persona"], r["scenario"], r["seed"], r["first_help"] or "—",
                      f"{r['not_before']}–{r['by']}", r["timing"]] for r in d.escalation])
    return out


def _flexibility(d: ReportData) -> list[str]:
    out = ["## Relational flexibility", "",
           "Mean pairwise absolute difference of the subject's instrument profile across a matched persona set "
           "(same scenario). About 0 means it answers everyone the same way.", ""]
    if not d.flexibility:
        return out + ["No matched set with two or more members on the same scenario.", ""]
    rows = [[g["model"], g["set_id"], g["varies"], g["scenario"], len(g["members"])]
            + [_num(g["mpad"].get(f)) for f in PROFILE_FEATURES] for g in d.flexibility]
    return out + md_table(["model", "set", "varies", "scenario", "members"] + list(PROFILE_FEATURES), rows)


def _agreement(d: ReportData) -> list[str]:
    ja = d.summary.get("judge_agreement") or {}
    out = ["## Judge agreement", ""]
    if not ja:
        out += ["One judge only: no agreement computed.", ""]
    else:
        out += [f"Judges: {cell(', '.join(ja.get('judges', [])))}; Krippendorff's alpha (ordinal).", ""]
        out += md_table(["criterion", "alpha", "flag"],
                        [[c, _num(v.get("alpha")), "low/undefined" if v.get("flag") else "ok"]
                         for c, v in (ja.get("criteria") or {}).items()])
    out += ["### Instruments vs judge", "",
            f"Judge ≥ {JUDGE_HIGH} on linguistic_distancing while distancing ≥ {DISTANCING_HIGH}, or on "
            f"sentiment_attenuation while intensity_gap ≥ {INTENSITY_GAP_HIGH}.", ""]
    if not d.disagreements:
        return out + ["None.", ""]
    return out + md_table(["model", "persona", "scenario", "seed", "criterion", "judge", "instrument", "value"],
                          [[x["model"], x["persona"], x["scenario"], x["seed"], x["criterion"], x["judge"],
                            x["instrument"], _num(x["value"])] for x in d.disagreements])


def _errors(d: ReportData) -> list[str]:
    s = d.summary
    out = ["## Errors and fidelity", "", "Errors are counted, never scored.", ""]
    out += md_table(["status", "count"], sorted((s.get("status") or {}).items()))
    out += ["Non-evaluable conversations, by termination: kept apart, never in a score or an interval.", ""]
    out += md_table(["non-evaluable", "count"], list((s.get("non_evaluable") or {}).items()) or [["none", 0]])
    out += md_table(["error kind", "count"], sorted((s.get("errors_by_kind") or {}).items()) or [["none", 0]])
    out += md_table(["fidelity issue", "count"], sorted((s.get("fidelity_issues") or {}).items()) or [["none", 0]])
    out += ["Persona errors: a persona turn that broke character in every sample; the conversation "
            "is kept and shown, never scored.", ""]
    out += md_table(["persona model", "conversations", "persona errors", "re-sampled turns", "fallback lines"],
                    [[m, x["conversations"], x["persona_errors"], x["resampled_turns"], x.get("fallback_turns", 0)]
                     for m, x in (s.get("persona_fidelity") or {}).items()] or [["none", 0, 0, 0, 0]])
    if d.errors:
        out += md_table(["model", "persona", "scenario", "where", "kind", "message"],
                        [[e["model"], e["persona"], e["scenario"], e["where"], e["kind"], e["message"][:200]]
                         for e in d.errors])
    return out


def render(d: ReportData) -> str:
    s = d.summary
    out = [f"# empathy-sim report: {cell(d.title)}", "",
           f"Runs: {cell('; '.join(d.runs))}", "",
           f"{s.get('records')} records, planned {s.get('planned')}. Scores are 1..5, 5 = no failure; means are "
           "from the first judge that succeeded, with 95% bootstrap CIs. Charts and transcripts: report.html.", ""]
    models = s.get("models") or {}
    if s.get("distrust"):
        out += ["## Distrust first", ""] + [f"- {cell(x)}" for x in s["distrust"]] + [""]
    out += ["## Subject models", ""]
    out += md_table(["model", "conversations", "continuation"] + list(CRITERIA),
                    [[m, ms.get("conversations"), ms.get("continuation_rate")]
                     + [stat((ms.get("criteria") or {}).get(c)) for c in CRITERIA] for m, ms in sorted(models.items())])
    out += leaderboard_view.md(s, md_table, cell)
    for m, ms in sorted(models.items()):
        out += _model(m, ms)
    out += _escalation(d) + _flexibility(d) + _agreement(d) + _errors(d)
    return "\n".join(out) + "\n"
