"""Inline SVG charts for report.html, drawn in Python so the report opens offline.

Inline <svg> in HTML needs no xmlns, so the page carries no URL at all.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies);
the heatmap uses viridis, which stays ordered in greyscale too. Every chart carries a <title>
and an aria-label, and every label goes through html.escape.
"""

from __future__ import annotations

from html import escape

from simulator.core.records import CRITERIA, MECHANISMS

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")
MECH_COLOUR, DIM_COLOUR = "#0072B2", "#E69F00"
UNDERSTOOD_COLOUR, TRUST_COLOUR = "#0072B2", "#D55E00"
VIRIDIS = ((0x44, 0x01, 0x54), (0x3B, 0x52, 0x8B), (0x21, 0x91, 0x8C), (0x5E, 0xC9, 0x62), (0xFD, 0xE7, 0x25))
MARKERS = ("circle", "square", "diamond", "triangle")
CHAR_W = 6.6  # rough width of one 12px character, to size label columns


def _open(width: float, height: float, label: str) -> str:
    return (f'<svg class="chart" width="{width:.0f}" '
            f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
            f'aria-label="{escape(label)}"><title>{escape(label)}</title>')


def _text(x: float, y: float, s: str, anchor: str = "start", cls: str = "", extra: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{c}{extra}>{escape(s)}</text>'


def _label_width(labels: list[str], minimum: int = 60) -> float:
    return max([minimum] + [len(s) * CHAR_W + 12 for s in labels])


def viridis(t: float) -> str:
    """Colour at t in 0..1, linear between the five viridis stops."""
    t = min(1.0, max(0.0, t)) * (len(VIRIDIS) - 1)
    i = min(int(t), len(VIRIDIS) - 2)
    f = t - i
    rgb = [round(a + (b - a) * f) for a, b in zip(VIRIDIS[i], VIRIDIS[i + 1])]
    return "#%02x%02x%02x" % tuple(rgb)


def _score_x(score: float, x0: float, width: float) -> float:
    return x0 + (score - 1) / 4 * width  # scores run 1..5


def _score_axis(x0: float, width: float, top: float, bottom: float) -> list[str]:
    out = []
    for s in range(1, 6):
        x = _score_x(s, x0, width)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" class="grid"/>')
        out.append(_text(x, bottom + 14, str(s), "middle", "tick"))
    return out


def criteria_bars(stats: dict[str, dict], label: str) -> str:
    """Horizontal bars of criterion means (1..5, 5 = no failure) with 95% CI whiskers."""
    lw, pw, row = _label_width(list(CRITERIA)), 360, 28
    top, h = 30, 30 + row * len(CRITERIA) + 50
    width = lw + pw + 110
    out = [_open(width, h, label), _text(lw, 18, "mean score, 1 = severe failure … 5 = no failure", cls="axis")]
    out += _score_axis(lw, pw, top, top + row * len(CRITERIA))
    for i, crit in enumerate(CRITERIA):
        st = stats.get(crit) or {}
        y = top + i * row
        out.append(_text(lw - 8, y + row / 2 + 4, crit, "end", "lab"))
        m = st.get("mean")
        if m is None:
            out.append(_text(lw + 4, y + row / 2 + 4, "no scores", cls="muted"))
            continue
        colour = MECH_COLOUR if crit in MECHANISMS else DIM_COLOUR
        xm = _score_x(m, lw, pw)
        out.append(f'<rect x="{lw}" y="{y + 6}" width="{max(xm - lw, 1.5):.1f}" height="{row - 12}" '
                   f'fill="{colour}"><title>{escape(crit)}: {m:.2f} (n={st.get("n", 0)})</title></rect>')
        ci = st.get("ci95")
        if ci:
            a, b = _score_x(ci[0], lw, pw), _score_x(ci[1], lw, pw)
            yc = y + row / 2
            out.append(f'<path d="M{a:.1f} {yc - 6}v12M{a:.1f} {yc}H{b:.1f}M{b:.1f} {yc - 6}v12" class="ci"/>')
        ci_s = f" [{ci[0]:.2f}–{ci[1]:.2f}]" if ci else ""
        out.append(_text(lw + pw + 8, y + row / 2 + 4, f"{m:.2f}{ci_s}", cls="val"))
    ly = top + row * len(CRITERIA) + 34
    out.append(f'<rect x="{lw}" y="{ly - 10}" width="12" height="12" fill="{MECH_COLOUR}"/>')
    out.append(_text(lw + 18, ly, "mechanism", cls="lab"))
    out.append(f'<rect x="{lw + 110}" y="{ly - 10}" width="12" height="12" fill="{DIM_COLOUR}"/>')
    out.append(_text(lw + 128, ly, "dimension   (whisker = 95% bootstrap CI)", cls="lab"))
    return "".join(out) + "</svg>"


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}"/>'
    if kind == "diamond":
        return f'<path d="M{x:.1f} {y - 6:.1f}l6 6l-6 6l-6 -6z" fill="{colour}"/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f} {y - 6:.1f}l6 11h-12z" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>'


def model_comparison(per_model: dict[str, dict[str, dict]], label: str) -> str:
    """One row per criterion, one marker (colour and shape) per model, with CI lines."""
    models = list(per_model)
    lw, pw = _label_width(list(CRITERIA)), 420
    row = max(30, 12 * len(models) + 10)
    top = 30
    legend_h = 20 * len(models) + 10
    h = top + row * len(CRITERIA) + 30 + legend_h
    out = [_open(lw + pw + 40, h, label), _text(lw, 18, "mean score per model (line = 95% CI)", cls="axis")]
    out += _score_axis(lw, pw, top, top + row * len(CRITERIA))
    for i, crit in enumerate(CRITERIA):
        y0 = top + i * row
        out.append(_text(lw - 8, y0 + row / 2 + 4, crit, "end", "lab"))
        for j, m in enumerate(models):
            st = per_model[m].get(crit) or {}
            if st.get("mean") is None:
                continue
            y = y0 + (j + 1) * row / (len(models) + 1)
            colour, shape = OKABE_ITO[j % len(OKABE_ITO)], MARKERS[j % len(MARKERS)]
            if st.get("ci95"):
                a, b = (_score_x(v, lw, pw) for v in st["ci95"])
                out.append(f'<line x1="{a:.1f}" y1="{y:.1f}" x2="{b:.1f}" y2="{y:.1f}" '
                           f'stroke="{colour}" stroke-width="2"/>')
            out.append(_marker(shape, _score_x(st["mean"], lw, pw), y, colour))
    ly = top + row * len(CRITERIA) + 36
    for j, m in enumerate(models):
        out.append(_marker(MARKERS[j % len(MARKERS)], lw + 6, ly + 20 * j - 4, OKABE_ITO[j % len(OKABE_ITO)]))
        out.append(_text(lw + 18, ly + 20 * j, m, cls="lab"))
    return "".join(out) + "</svg>"


def score_heatmap(rows: list[str], cols: list[str], cells: dict, label: str) -> str:
    """Persona × scenario grid of mean scores (viridis, 1 = dark … 5 = yellow); grey = not run or unscored."""
    cell = 34 if len(cols) <= 16 else 27  # a full sweep (30+ scenarios) still fits a laptop screen
    lw = _label_width(rows)
    head = max(60, max((len(c) for c in cols), default=0) * CHAR_W * 0.72 + 20)
    # Rotated column labels run up and to the right of their column: make room for the longest.
    reach = max((lw + j * cell + cell / 2 + len(c) * CHAR_W * 0.72 + 12 for j, c in enumerate(cols)), default=0)
    width = max(lw + cell * len(cols) + 150, reach)
    h = head + max(cell * len(rows), 130) + 20  # room for the colour legend
    out = [_open(width, h, label)]
    for j, c in enumerate(cols):
        x = lw + j * cell + cell / 2
        out.append(f'<text x="{x:.1f}" y="{head - 6:.1f}" transform="rotate(-45 {x:.1f} {head - 6:.1f})" '
                   f'class="lab">{escape(c)}</text>')
    for i, r in enumerate(rows):
        y = head + i * cell
        out.append(_text(lw - 6, y + cell / 2 + 4, r, "end", "lab"))
        for j, c in enumerate(cols):
            x = lw + j * cell
            if (r, c) not in cells:
                out.append(f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" class="empty"/>')
                continue
            v, n = cells[(r, c)]
            t = (v - 1) / 4
            fg = "#000" if t > 0.55 else "#fff"
            out.append(f'<g><title>{escape(r)} × {escape(c)}: {v:.2f} (n={n})</title>'
                       f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{viridis(t)}"/>'
                       f'<text x="{x + cell / 2 - 1:.1f}" y="{y + cell / 2 + 3:.1f}" text-anchor="middle" '
                       f'fill="{fg}" class="cell">{v:.1f}</text></g>')
    out += _scale_legend(lw + cell * len(cols) + 20, head + 16)
    return "".join(out) + "</svg>"


def _scale_legend(x: float, y: float) -> list[str]:
    out = [_text(x, y - 8, "score", cls="lab")]
    for k, s in enumerate((5, 4, 3, 2, 1)):
        out.append(f'<rect x="{x}" y="{y + k * 20}" width="18" height="18" fill="{viridis((s - 1) / 4)}"/>')
        word = {5: " no failure", 1: " severe"}.get(s, "")
        out.append(_text(x + 24, y + k * 20 + 13, f"{s}{word}", cls="lab"))
    out.append(f'<rect x="{x}" y="{y + 104}" width="18" height="18" class="empty"/>')
    out.append(_text(x + 24, y + 117, "not run / no score", cls="lab"))
    return out


def _polyline(values: list[float], x0: float, y0: float, w: float, h: float, steps: int, **attrs: str) -> str:
    pts = " ".join(f"{x0 + i * w / max(steps, 1):.1f},{y0 + h - v / 100 * h:.1f}" for i, v in enumerate(values))
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<polyline points="{pts}" fill="none"{extra}/>'


def trajectory_panels(series: list[tuple[list[int], list[int]]], avg: tuple[list[float], list[float]],
                      label: str) -> str:
    """Two panels (understood, trust 0..100 per reply): thin line per conversation, bold mean."""
    pw, ph, gap, left, top = 300, 170, 70, 40, 28
    steps = max([len(u) - 1 for u, _ in series] + [1])
    out = [_open(left + 2 * pw + gap + 20, top + ph + 48, label)]
    for k, (name, colour) in enumerate((("understood", UNDERSTOOD_COLOUR), ("trust", TRUST_COLOUR))):
        x0 = left + k * (pw + gap)
        out.append(_text(x0, 16, f"{name} (0–100) after each reply", cls="axis"))
        for v in (0, 50, 100):
            y = top + ph - v / 100 * ph
            out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + pw}" y2="{y:.1f}" class="grid"/>')
            out.append(_text(x0 - 6, y + 4, str(v), "end", "tick"))
        for i in range(steps + 1):
            out.append(_text(x0 + i * pw / steps, top + ph + 16, str(i), "middle", "tick"))
        for conv in series:
            out.append(_polyline(list(conv[k]), x0, top, pw, ph, steps, stroke=colour,
                                 stroke_opacity="0.35", stroke_width="1.2"))
        dash = {"stroke_dasharray": "6 3"} if k else {}
        out.append(_polyline(list(avg[k]), x0, top, pw, ph, steps, stroke=colour, stroke_width="3", **dash))
        out.append(_text(x0 + pw / 2, top + ph + 34, "reply (0 = before the first)", "middle", "tick"))
    return "".join(out) + "</svg>"


def sparkline(understood: list[int], trust: list[int], label: str) -> str:
    """A small per-conversation chart: understood (solid blue) and trust (dashed vermillion)."""
    w, h, pad = 200, 54, 4
    steps = max(len(understood) - 1, 1)
    out = [_open(w + 2 * pad, h + 2 * pad, label),
           f'<rect x="{pad}" y="{pad}" width="{w}" height="{h}" class="spark-bg"/>',
           _polyline(understood, pad, pad, w, h, steps, stroke=UNDERSTOOD_COLOUR, stroke_width="2"),
           _polyline(trust, pad, pad, w, h, steps, stroke=TRUST_COLOUR, stroke_width="2", stroke_dasharray="4 2")]
    return "".join(out) + "</svg>"
