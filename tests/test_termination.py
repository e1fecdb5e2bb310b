"""Issue 13 item 4: typed termination after tau2-bench's TerminationReason.

Subject, persona (simulator), judge and infrastructure errors and budget stops are each their own
reason, counted apart in the summary and the report and never part of a score or an interval.
"""

import orjson
import pytest

import fakes
from report_records import COLD, GRIEF, MAYA, MAYA_LINES, WARM, make_record, verdict, write_run
from simulator.core.records import PERSONA_FIDELITY
from simulator.core.records import (
    CRITERIA, NON_EVALUABLE, SCHEMA_VERSION, ErrorInfo, RunRecord, error_reason,
)
from simulator.core.store import iter_records, read_lines


@pytest.mark.parametrize("kind, role, reason", [
    ("rate_limit", "subject", "infrastructure_error"),
    ("server_error", "persona", "infrastructure_error"),
    ("timeout", "judge", "infrastructure_error"),
    ("connection", None, "infrastructure_error"),
    ("internal", None, "infrastructure_error"),
    ("internal", "subject", "infrastructure_error"),
    ("empty_reply", "subject", "subject_error"),
    (PERSONA_FIDELITY, "persona", "persona_error"),
    ("parse_error", "persona", "persona_error"),
    ("internal", "persona", "persona_error"),
    ("empty_reply", "persona", "persona_error"),
    ("parse_error", "judge", "judge_error"),
    ("instrument_error", None, "judge_error"),
    ("token_cap", None, "budget_stop"),
])
def test_every_error_kind_maps_to_one_typed_reason(kind, role, reason):
    assert error_reason(ErrorInfo(kind=kind, role=role, message="m")) == reason
    assert reason in NON_EVALUABLE


def test_non_evaluable_set_is_the_five_reasons():
    assert set(NON_EVALUABLE) == {"subject_error", "persona_error", "judge_error", "infrastructure_error",
                                  "budget_stop"}


def _legacy(rec: RunRecord, schema: int) -> dict:
    row = rec.model_dump(mode="json")
    row["schema_version"] = schema
    row.pop("error", None)
    return row


def test_schema_2_error_records_read_with_typed_termination(tmp_path):
    recs = [
        make_record(MAYA, GRIEF, "fake/warm", 0, WARM[:1], MAYA_LINES, status="error", stop="error",
                    error=ErrorInfo(kind="rate_limit", role="subject", message="429")),
        make_record(MAYA, GRIEF, "fake/warm", 1, WARM[:1], MAYA_LINES, status="error", stop="error",
                    error=ErrorInfo(kind=PERSONA_FIDELITY, role="persona", message="broke character")),
        make_record(MAYA, GRIEF, "fake/warm", 2, WARM, MAYA_LINES, status="error",
                    judges=[verdict("fake/judge", 0, status="error")]),
        make_record(MAYA, GRIEF, "fake/warm", 3, WARM, MAYA_LINES, judges=[verdict("fake/judge", 4)]),
    ]
    run = tmp_path / "run"
    run.mkdir()
    (run / "records.jsonl").write_bytes(b"".join(orjson.dumps(_legacy(r, 2)) + b"\n" for r in recs))
    got = {r.key.seed: r for r in iter_records(run)}
    assert [got[s].termination for s in range(4)] == [
        "infrastructure_error", "persona_error", "judge_error", "max_turns"]
    assert [got[s].evaluable for s in range(4)] == [False, False, False, True]


def test_a_schema_2_instrument_crash_stored_inside_an_ok_record_is_not_evaluable(tmp_path):
    rec = make_record(MAYA, GRIEF, "fake/warm", 0, WARM, MAYA_LINES, judges=[verdict("fake/judge", 1)],
                      inst={"error": "ValueError: boom"})
    run = tmp_path / "run"
    run.mkdir()
    (run / "records.jsonl").write_bytes(orjson.dumps(_legacy(rec, 2)) + b"\n")
    (got,) = iter_records(run)
    assert got.termination == "judge_error" and not got.evaluable


def test_summary_keeps_each_non_evaluable_reason_apart_and_out_of_every_score(tmp_path):
    from simulator.report.summary import summarize

    ones = [verdict("fake/judge", 1)]  # ok-looking verdicts of 1 on records that are not evaluable
    recs = [
        make_record(MAYA, GRIEF, "fake/warm", 0, WARM, MAYA_LINES, judges=[verdict("fake/judge", 5)]),
        make_record(MAYA, GRIEF, "fake/warm", 1, WARM, MAYA_LINES, judges=[verdict("fake/judge", 4)]),
        make_record(MAYA, GRIEF, "fake/warm", 2, WARM[:1], MAYA_LINES, status="error", stop="subject_error",
                    error=ErrorInfo(kind="empty_reply", role="subject", message="empty"), judges=ones),
        make_record(MAYA, GRIEF, "fake/warm", 3, WARM[:1], MAYA_LINES, status="error", stop="persona_error",
                    error=ErrorInfo(kind=PERSONA_FIDELITY, role="persona", message="x"), judges=ones),
        make_record(MAYA, GRIEF, "fake/warm", 4, WARM[:1], MAYA_LINES, status="error",
                    stop="infrastructure_error", error=ErrorInfo(kind="timeout", role="subject", message="x"),
                    judges=ones),
        make_record(MAYA, GRIEF, "fake/warm", 5, WARM[:1], MAYA_LINES, status="error", stop="budget_stop",
                    error=ErrorInfo(kind="token_cap", message="cap"), judges=ones),
        make_record(MAYA, GRIEF, "fake/warm", 6, WARM, MAYA_LINES, status="error",
                    judges=[verdict("fake/judge", 0, status="error")]),
        # status ok on disk, but an instrument crash inside: a judge error all the same
        make_record(MAYA, GRIEF, "fake/warm", 7, COLD, MAYA_LINES, judges=ones, inst={"error": "boom"}),
    ]
    s = summarize(recs, planned=8)
    assert s["non_evaluable"] == {"subject_error": 1, "persona_error": 1, "judge_error": 2,
                                  "infrastructure_error": 1, "budget_stop": 1}
    assert s["evaluable"] == 2
    m = s["models"]["fake/warm"]
    assert m["conversations"] == 2
    assert m["criteria"]["cognitive"]["n"] == 2 and m["criteria"]["cognitive"]["mean"] == 4.5
    assert m["criteria"]["cognitive"]["ci95"][0] >= 4.0  # no 1 from a non-evaluable record in the CI


def test_report_shows_the_non_evaluable_reasons(tmp_path):
    from simulator.report.build import write_report

    recs = [
        make_record(MAYA, GRIEF, "fake/warm", 0, WARM, MAYA_LINES, judges=[verdict("fake/judge", 5)]),
        make_record(MAYA, GRIEF, "fake/warm", 1, WARM[:1], MAYA_LINES, status="error", stop="budget_stop",
                    error=ErrorInfo(kind="token_cap", message="cap")),
        make_record(MAYA, GRIEF, "fake/warm", 2, WARM[:1], MAYA_LINES, status="error", stop="subject_error",
                    error=ErrorInfo(kind="empty_reply", role="subject", message="empty")),
    ]
    run = write_run(tmp_path / "run", recs)
    write_report(run)
    md = (run / "report.md").read_text()
    assert "Non-evaluable" in md
    assert "| budget_stop | 1 |" in md and "| subject_error | 1 |" in md and "| judge_error | 0 |" in md
    html = (run / "report.html").read_text()
    assert "Non-evaluable" in html and "budget_stop" in html


# ------------------------------------------------------------------ through the runner


def _fakes(fake, subject):
    fake.set("persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "yeah", "ok"]))
    fake.set("subject", subject)
    fake.set("judge", fakes.judge_json({c: 4 for c in CRITERIA}))


def _records(run_dir):
    rows, bad = read_lines(run_dir / "records.jsonl")
    assert bad == 0
    return [RunRecord.model_validate(r) for r in rows]


def test_an_empty_subject_reply_ends_as_a_subject_error(fake, make_cfg):
    from simulator.run.runner import run

    _fakes(fake, lambda m, p: "")
    (rec,) = _records(run(make_cfg(run={"retries": 0})).run_dir)
    assert rec.schema_version == SCHEMA_VERSION
    assert rec.status == "error" and rec.conversation.stop_reason == "subject_error"
    assert rec.termination == "subject_error" and rec.verdicts == []


def test_a_per_conversation_token_cap_ends_as_a_budget_stop(fake, make_cfg):
    from simulator.run.runner import run

    _fakes(fake, fakes.subject_script(WARM))
    (rec,) = _records(run(make_cfg(run={"max_tokens_per_conversation": 1})).run_dir)
    assert rec.conversation.error.kind == "token_cap"
    assert rec.conversation.stop_reason == "budget_stop" and rec.termination == "budget_stop"


def test_a_spent_run_budget_writes_the_cut_off_conversation_as_a_budget_stop(fake, make_cfg):
    from simulator.run.runner import run
    from simulator.report.summary import summarize

    _fakes(fake, fakes.subject_script(WARM))
    result = run(make_cfg(seeds=list(range(6)), run={"concurrency": 1, "max_tokens_budget": 1500}))
    assert result.status == "budget_exhausted"
    recs = list(iter_records(result.run_dir))
    stopped = [r for r in recs if r.termination == "budget_stop"]
    assert len(stopped) == 1 and stopped[0].conversation.error.kind == "budget_exhausted"
    s = summarize(recs)
    assert s["non_evaluable"]["budget_stop"] == 1
    assert s["evaluable"] == len(recs) - 1 == s["models"]["fake/subject"]["conversations"]
