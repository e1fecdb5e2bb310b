"""The pairwise leaderboard section of report.html and report.md, from summary["leaderboard"].

The numbers come from simulator/report/leaderboard.py; this module only lays them out. No leaderboard in
the summary (no `empathy-sim pairwise SWEEP_DIR` run yet) renders nothing.
"""

from __future__ import annotations

from html import escape

ABOUT = ("Bradley–Terry ratings from the pairwise judge: every pair of subject models on the same persona × "
         "scenario × seed, judged in both orders. Rating = log-odds strength at equal reply length, centred on "
         "0 (a difference of 1 = 73% expected wins); 'unadjusted' is the same fit without the length term. "
         "Interval: 95% bootstrap over conversations. Position bias: how often the winner changed when the "
         "order was swapped (flip rate), and the share of choices that named the side shown first (0.5 = none).")


def validity_line(lb: dict) -> str:
    v = lb.get("judge_validity") or {}
    judge = lb.get("judge") or "unknown judge"
    if v.get("status") == "calibrated":
        figs = "; ".join(f"{k}: " + ", ".join(f"{c} {f.get('metric')} {f.get('value')}" for c, f in crit.items())
                         for k, crit in (v.get("figures") or {}).items())
        return f"Pairwise judge {judge}: agreement with people {figs}."
    return f"Pairwise judge {judge}: uncalibrated ({v.get('why', 'no figure')})."


def _ci(r: dict) -> str:
    ci = r.get("ci95")
    if not ci:
        return "—"
    # A model that won (or lost) every pair resamples to the same data: a zero-width interval
    # that says nothing about the uncertainty, and a rating set by the fit's penalty.
    every = "won" if r["wins"] == r["pairs"] else "lost" if r["losses"] == r["pairs"] else None
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]" + (f" ({every} every pair: not informative)" if every else "")


def _bias(b: dict) -> str:
    pb = b.get("position_bias") or {}
    if pb.get("flip_rate") is None:
        return "position bias: no verdict in both orders"
    first = pb.get("first_slot_share")
    return (f"position bias: flip rate {pb['flip_rate']:.2f} ({pb['flips']} of {pb['verdicts']} criterion verdicts); "
            f"first-slot share {'—' if first is None else f'{first:.2f}'}")


def _length(b: dict) -> str:
    c = b.get("length_coef")
    return "length term: —" if c is None else f"length term {c:+.2f} log-odds per e-fold longer replies"


HEADERS = ["model", "rating", "95% CI", "unadjusted", "pairs", "W/T/L"]


def _rows(b: dict) -> list[list[str]]:
    return [[r["model"], f"{r['rating']:+.2f}", _ci(r), f"{r['unadjusted']:+.2f}", str(r["pairs"]),
             f"{r['wins']}/{r['ties']}/{r['losses']}"] for r in b.get("ratings") or []]


def _boards(lb: dict) -> list[tuple[str, dict]]:
    return [("overall", lb["overall"])] + [(f"task type: {t}", b) for t, b in (lb.get("by_task_type") or {}).items()]


def html(summary: dict) -> str:
    lb = summary.get("leaderboard")
    if not lb:
        return ""
    parts = [f'<section id="leaderboard"><h2>Pairwise leaderboard</h2><p>{escape(ABOUT)}</p>',
             f'<div class="note" id="leaderboard-validity">{escape(validity_line(lb))}</div>']
    for title, b in _boards(lb):
        head = "".join(f"<th>{escape(h)}</th>" for h in HEADERS)
        body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in _rows(b))
        parts.append(f"<h3>{escape(title)} ({b['pairs']} pairs)</h3>"
                     f'<table class="leaderboard"><tr>{head}</tr>{body}</table>'
                     f"<p class='muted'>{escape(_bias(b))}; {escape(_length(b))}</p>")
    return "".join(parts) + "</section>"


def md(summary: dict, table, text) -> list[str]:
    """`table`, `text`: report_md.md_table and report_md.cell (passed in: report_md imports this
    module); model and task names are record data, so prose lines are escaped like cells."""
    lb = summary.get("leaderboard")
    if not lb:
        return []
    out = ["## Pairwise leaderboard", "", ABOUT, "", text(validity_line(lb)), ""]
    for title, b in _boards(lb):
        out += [f"### {text(title)} ({b['pairs']} pairs)", ""] + table(HEADERS, _rows(b)) + [f"{_bias(b)}; {_length(b)}.", ""]
    return out
