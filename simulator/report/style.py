"""The inline CSS and JS of report.html (no external fonts, stylesheets or scripts)."""

CSS = """
:root { --fg:#1b1b1b; --muted:#5f6368; --line:#d9dce1; --bg:#ffffff; --soft:#f5f6f8;
        --mech:#0072B2; --dim:#E69F00; --warn:#D55E00; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--fg); background: var(--bg); margin: 0; }
header.top { background: #12324a; color: #fff; padding: 18px 32px; }
header.top h1 { margin: 0 0 4px; font-size: 24px; }
header.top .meta { color: #cfe0ee; font-size: 13px; }
nav.toc { padding: 8px 32px; background: var(--soft); border-bottom: 1px solid var(--line); font-size: 14px; }
nav.toc a { margin-right: 14px; color: #0b5a8f; }
main { padding: 8px 32px 48px; max-width: 1400px; }
h2 { border-bottom: 2px solid var(--line); padding-bottom: 4px; margin-top: 36px; }
h3 { margin: 24px 0 8px; }
.muted { color: var(--muted); }
.note { background: var(--soft); border-left: 4px solid var(--mech); padding: 8px 12px; margin: 10px 0;
        font-size: 14px; max-width: 980px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: var(--soft); font-weight: 600; }
table.breakdown th { max-width: 110px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .ci { display: block; color: var(--muted); font-size: 12px; }
.grid-2 { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 12px 0; background: #fff; }
.model { border-top: 6px solid var(--mech); }
.scroll { overflow-x: auto; max-width: 100%; }
svg.chart { display: block; font-family: inherit; }
svg.chart text { font-size: 12px; fill: #222; }
svg.chart text.axis { font-size: 12.5px; fill: #333; font-weight: 600; }
svg.chart text.tick, svg.chart text.muted { fill: #666; font-size: 11px; }
svg.chart text.cell { font-size: 11px; }
svg.chart .grid { stroke: #e3e5e8; stroke-width: 1; }
svg.chart .ci { stroke: #111; stroke-width: 1.6; fill: none; }
svg.chart .empty { fill: #f1f1f1; stroke: #ddd; }
svg.chart .spark-bg { fill: #fafafa; stroke: #e3e5e8; }
select { font: inherit; padding: 2px 6px; }
.badge { background: #e8eef4; border-radius: 10px; padding: 1px 8px; font-size: 12px; margin-left: 6px; }
.badge.err, .flag { background: #fbe3d6; color: #8a2f00; }
.flag { border-radius: 10px; padding: 1px 8px; font-size: 12px; margin-left: 6px; }
details.conv { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; background: #fff; }
details.conv > summary { cursor: pointer; padding: 8px 12px; background: var(--soft); border-radius: 8px; }
details.conv[open] > summary { border-bottom: 1px solid var(--line); border-radius: 8px 8px 0 0; }
.conv-head { display: flex; justify-content: space-between; gap: 16px; padding: 10px 12px; font-size: 14px; }
.turns { padding: 4px 12px; }
.turn { margin: 8px 0; display: flex; gap: 12px; align-items: flex-start; }
.turn.persona .text { background: #eef3f8; border-radius: 10px; padding: 8px 12px; max-width: 760px; }
.turn.persona { flex-direction: column; gap: 2px; }
.turn.subject .bubble { flex: 1 1 auto; max-width: 760px; margin-left: 40px; }
.turn.subject .text { background: #fff8e6; border: 1px solid #f1dfb0; border-radius: 10px; padding: 8px 12px; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.who { font-size: 12.5px; font-weight: 600; color: #333; margin-bottom: 2px; }
.beat { background: #dff0e8; color: #0b5e45; border-radius: 10px; padding: 1px 8px; margin-left: 8px;
        font-size: 12px; font-weight: 500; }
.state { flex: 0 0 230px; font-size: 12.5px; background: var(--soft); border-radius: 8px; padding: 6px 10px; }
.state-h { font-weight: 600; color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: .03em; }
.state .notes { margin: 4px 0 0 16px; padding: 0; color: var(--muted); }
.delta { color: var(--muted); }
.inst, .tscore { font-size: 12px; color: var(--muted); margin-top: 3px; }
mark.ev { background: #ffe08a; border-bottom: 2px solid #b07d00; padding: 0 1px; cursor: help; }
.verdict { margin: 8px 12px 12px; font-size: 13.5px; }
.verdict table td:first-child { white-space: nowrap; }
.verdict li.bad { color: var(--warn); }
.verdict.error, p.error, .fidelity { color: #8a2f00; background: #fdf0e8; padding: 6px 10px; border-radius: 6px; }
.fidelity { margin: 6px 12px; font-size: 13px; }
td.s1, td.s2 { background: #fbe3d6; } td.s4, td.s5 { background: #e3f1ea; }
button { font: inherit; padding: 3px 10px; margin: 4px 8px 8px 0; }
@media print { details.conv { break-inside: avoid; } nav.toc { display: none; } }
"""

# Runs after the page loads: wires the heatmap criterion pickers and the expand/collapse buttons,
# then marks <body data-charts-ready="N"> (N = rendered <svg> charts) so a headless browser check
# can tell that the script ran without errors.
JS = """
(function () {
  document.querySelectorAll('select.hm-select').forEach(function (sel) {
    var box = document.getElementById(sel.getAttribute('data-target'));
    function show() {
      box.querySelectorAll('.hm').forEach(function (d) { d.hidden = d.getAttribute('data-crit') !== sel.value; });
    }
    sel.addEventListener('change', show);
    show();
  });
  function toggleAll(open) {
    document.querySelectorAll('details.conv').forEach(function (d) { d.open = open; });
  }
  var ex = document.getElementById('expand-all'), co = document.getElementById('collapse-all');
  if (ex) ex.addEventListener('click', function () { toggleAll(true); });
  if (co) co.addEventListener('click', function () { toggleAll(false); });
  if (location.hash.indexOf('#rec-') === 0) {
    var target = document.getElementById(location.hash.slice(1));
    if (target) target.open = true;
  }
  document.body.setAttribute('data-charts-ready', String(document.querySelectorAll('svg.chart').length));
})();
"""
