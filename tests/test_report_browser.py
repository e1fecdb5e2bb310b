"""Open report.html in headless Chromium: the charts render, the inline JS runs without console errors.

Skipped when `chromium` is not on PATH (setup.sh --test installs Debian's package). Chromium is a
subprocess loading a file:// URL, so pytest-socket's --disable-socket does not get in its way.
"""

import re
import shutil
import subprocess

import pytest

import report_records as rr
from simulator.report.build import write_report

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not on PATH (bash setup.sh --test installs it)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=3000", "--no-first-run", "--disable-extensions"]


def chromium(tmp_path, *args):
    # A private profile dir keeps runs independent of each other and of the user's profile.
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)


def console_errors(stderr: str, page: str) -> list[str]:
    """Uncaught exceptions and console errors; the report's script logs nothing, so any console
    line from the page itself (console.error is logged at INFO level) counts too."""
    return [ln for ln in stderr.splitlines()
            if ("CONSOLE" in ln and "Uncaught" in ln) or "ERROR:CONSOLE" in ln
            or (":CONSOLE" in ln and page in ln)]


def test_console_error_detection():
    line = '[1:1:1126/0:INFO:CONSOLE:1] "Uncaught ReferenceError: f is not defined", source: file:///r.html (1)'
    assert console_errors(line, "file:///other.html") == [line]
    line = '[1:1:1126/0:INFO:CONSOLE:1] "boom", source: file:///r.html (1)'
    assert console_errors(line, "file:///r.html") == [line]
    assert console_errors("[1:1:1126/0:ERROR:dbus/bus.cc:405] Failed to connect to the bus", "file:///r.html") == []


@pytest.fixture
def report(tmp_path):
    run_dir = rr.write_run(tmp_path / "run", rr.suite())
    return write_report(run_dir)["html"]


@needs_chromium
def test_dom_has_rendered_charts_and_script_ran(report, tmp_path):
    proc = chromium(tmp_path, "--dump-dom", report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    m = re.search(r'<body[^>]*data-charts-ready="(\d+)"', dom)
    assert m, "the report's inline script did not run"
    n_svg = len(re.findall(r"<svg\b[^>]*class=\"chart\"", dom))
    assert int(m.group(1)) == n_svg and n_svg >= 10
    assert "<mark" in dom and "<polyline" in dom and "<rect" in dom
    # The heatmap picker hid every pane but the first once the script ran.
    assert re.search(r'<div class="hm" data-crit="cognitive" hidden', dom)
    assert console_errors(proc.stderr, report.as_uri()) == []


@needs_chromium
def test_screenshot_is_non_trivial(report, tmp_path):
    shot = tmp_path / "report.png"
    proc = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars",
                    report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000
    assert console_errors(proc.stderr, report.as_uri()) == []


@needs_chromium
def test_two_model_sweep_report_shows_the_leaderboard(tmp_path, fake):
    """The issue's check: a two-model sweep, judged pairwise, renders its leaderboard in the browser."""
    from leaderboard_sweep import judge_pairs, two_model_sweep

    sweep = judge_pairs(two_model_sweep(tmp_path / "sweep"), fake)
    page = (sweep / "report.html").as_uri()
    proc = chromium(tmp_path, "--dump-dom", page)
    assert proc.returncode == 0, proc.stderr[-2000:]
    section = re.search(r'<section id="leaderboard">(.*?)</section>', proc.stdout, re.S)
    assert section, "no leaderboard section in the rendered sweep report"
    rows = re.findall(r"<tr><td>(fake/[a-z_]+)</td><td>([+-]\d\.\d\d)</td>", section.group(1))
    overall = rows[:2]  # the overall table comes first, then one per task type
    assert [m for m, _ in overall] == ["fake/subject", "fake/subject_cold"]
    assert float(overall[0][1]) > float(overall[1][1])
    assert "position bias: flip rate 0.00" in section.group(1) and "uncalibrated" in section.group(1)
    assert console_errors(proc.stderr, page) == []
