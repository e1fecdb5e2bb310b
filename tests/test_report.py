"""report.html / report.md from hand-built records: self-contained, escaped, highlighted, honest counts."""

import re

import pytest

import report_records as rr
from simulator.core.records import CRITERIA
from simulator.report.build import write_report
from simulator.report.analysis import (
    disagreements, escalation_timing, first_help_reply, flexibility, ok_records,
)
from simulator.report.transcript import highlight
from simulator.report.summary import write_summary


@pytest.fixture
def run_dir(tmp_path):
    return rr.write_run(tmp_path / "run", rr.suite())


@pytest.fixture
def html(run_dir):
    paths = write_report(run_dir)
    assert paths["html"] == run_dir / "report.html" and paths["md"] == run_dir / "report.md"
    assert paths["md"].read_text("utf-8").startswith("# empathy-sim report")
    return paths["html"].read_text("utf-8")


def test_report_is_self_contained(html):
    assert "<svg" in html and "<style>" in html
    # No external resource: no URL in any src/href/link/script attribute, and none anywhere else.
    assert not re.search(r"""(src|href|action|xmlns)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<link\b|<script[^>]+src", html, re.I)
    assert "@import" not in html and "url(" not in html


def test_report_names_every_criterion_and_breakdowns(html, run_dir):
    for c in CRITERIA:
        assert c in html
    assert "By task type" in html and "By theme" in html and "escalation" in html
    md = (run_dir / "report.md").read_text("utf-8")
    for c in CRITERIA:
        assert c in md
    assert "### By task type" in md and "### By theme" in md


def test_record_text_is_escaped(html):
    assert rr.XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The only <script> element is the report's own, at the end of the body.
    assert html.count("<script>") == 1


def test_verified_evidence_is_marked_with_its_criterion(html):
    m = re.search(r'<mark class="ev" title="([^"]+)">([^<]+)</mark>', html)
    assert m, "no highlighted evidence"
    assert "granularity_mismatch" in m.group(1) and m.group(2) == rr.QUOTE
    # The unverified quote is listed but never highlighted.
    assert "not in that turn" in html
    assert not re.search(r"<mark[^>]*>not in that turn", html)


def test_highlight_escapes_before_marking():
    out = highlight("a <b>bold</b> claim & more", [("<b>bold</b>", "cognitive"), ("nowhere", "x")])
    assert out == 'a <mark class="ev" title="cognitive">&lt;b&gt;bold&lt;/b&gt;</mark> claim &amp; more'
    # Case and whitespace runs do not stop a verified quote from being found; overlaps merge.
    out = highlight("I hear  How Heavy this is", [("how heavy", "a"), ("heavy this", "b")])
    assert out == 'I hear  <mark class="ev" title="a; b">How Heavy this</mark> is'
    assert highlight('say "hi"', [('"hi"', 'c"r')]) == 'say &quot;<mark class="ev" title="c&quot;r">hi</mark>&quot;'


def test_error_records_are_counted_not_scored(run_dir):
    write_summary(run_dir)
    import orjson

    summary = orjson.loads((run_dir / "summary.json").read_bytes())
    warm = summary["models"]["fake/warm"]
    assert warm["conversations"] == 6  # the error record is not one of them
    # Warm ok records score 5, 4, 4, 4, 4, 4 -> 4.17; the error record's 1s would pull it down.
    assert warm["criteria"]["cognitive"]["mean"] == pytest.approx(4.167, abs=1e-3)
    assert summary["status"] == {"ok": 8, "error": 1}
    html = write_report(run_dir)["html"].read_text("utf-8")
    assert "rate_limit" in html and "429 too many requests" in html
    md = (run_dir / "report.md").read_text("utf-8")
    assert "| rate_limit | 1 |" in md and "4.17" in md


def test_report_without_summary_json_computes_it(run_dir):
    assert not (run_dir / "summary.json").exists()
    html = write_report(run_dir)["html"].read_text("utf-8")
    assert "fake/cold" in html and "fake/warm" in html
    assert not (run_dir / "summary.json").exists()  # the report never writes it


def test_sweep_dir_reports_over_its_runs(tmp_path):
    recs = rr.suite()
    a = rr.write_run(tmp_path / "a", recs[:3])
    b = rr.write_run(tmp_path / "b", recs[3:])
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "runs.txt").write_text(f"{a}\n{b}\n")
    paths = write_report(sweep)
    assert paths["html"].parent == sweep
    assert "fake/cold" in paths["html"].read_text("utf-8")


def test_escalation_timing_from_help_regex():
    recs = {r.persona.id: r for r in rr.suite()}
    assert first_help_reply(recs["dev_failed_exam"]) == 3
    assert escalation_timing(3, 3, 5, 4) == "on time"
    assert escalation_timing(1, 3, 5, 4) == "early"
    assert escalation_timing(6, 3, 5, 6) == "late"
    assert escalation_timing(None, 3, 5, 6) == "never"
    assert escalation_timing(None, 3, 5, 4) == "not reached"


def test_flexibility_and_disagreements():
    ok = ok_records(rr.suite())
    (group,) = flexibility(ok)
    assert group["set_id"] == "exam_failure" and len(group["members"]) == 3
    # distancing 0.1, 0.3, 0.2 -> pairwise |diff| 0.2, 0.1, 0.1 -> mean 0.133
    assert group["mpad"]["distancing"] == pytest.approx(0.133, abs=1e-3)
    assert group["mpad"]["length_words"] == pytest.approx(13.333, abs=1e-3)
    flagged = disagreements(ok)
    assert [(d["model"], d["criterion"], d["instrument"]) for d in flagged] == [
        ("fake/cold", "linguistic_distancing", "distancing")]


def test_report_on_records_from_a_real_run(fake, make_cfg):
    """Records the runner writes (real instruments, fake models) report without surprises."""
    import fakes
    from simulator.run.runner import run

    fake.set("persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "yeah"]))
    fake.set("subject", fakes.subject_script(fakes.COLD))
    fake.set("judge", fakes.judge_json({c: 3 for c in CRITERIA}))
    result = run(make_cfg(seeds=[0, 1]))
    write_summary(result.run_dir)
    html = write_report(result.run_dir)["html"].read_text("utf-8")
    assert "fake/subject" in html and "points to human help" in html  # COLD[0] names a counsellor
    assert html.count('<details class="conv"') == 2
