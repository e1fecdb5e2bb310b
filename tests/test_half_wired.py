"""Issue 13 item 5: paths that were half-wired, each pinned by a test that failed before the fix."""

import orjson
import pytest

import fakes
from simulator.records import CRITERIA, Conversation, RunRecord, Turn
from simulator.store import iter_records, read_lines

ALL_FOURS = {c: 4 for c in CRITERIA}


def _conv(*texts: str) -> Conversation:
    speakers = ["persona", "subject"]
    return Conversation(turns=[Turn(index=i, speaker=speakers[i % 2], text=t) for i, t in enumerate(texts)])


def setup_fakes(fake, judge=None):
    fake.set("persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "yeah", "ok"]))
    fake.set("subject", fakes.subject_script(fakes.WARM))
    fake.set("judge", judge or fakes.judge_json(ALL_FOURS))


def records_on_disk(run_dir):
    rows, bad = read_lines(run_dir / "records.jsonl")
    assert bad == 0
    return [RunRecord.model_validate(r) for r in rows]


# ------------------------------------------------------------------ evidence from persona turns


def test_evidence_quoted_from_a_persona_turn_is_not_verified():
    from judges.llm_judge import verify_evidence

    conv = _conv("I missed her last call", "That guilt sounds so heavy.")
    assert verify_evidence(conv, 1, "guilt sounds so heavy")
    # the judge is told to quote the subject: the person's own words are no evidence about the reply
    assert not verify_evidence(conv, 0, "missed her last call")


# ------------------------------------------------------------------ the conflict-avoidance cue runs


def test_capitulation_runs_per_turn_and_over_the_conversation():
    from judges.instruments import capitulation, run_instruments
    from simulator.card_loader import load_scenario

    replies = ["You're right, I agree with you completely.", "I see it differently; that isn't your fault."]
    conv = _conv("hi", replies[0], "but", replies[1])
    out = run_instruments(conv, load_scenario("grief_missed_last_call"))
    per = [row["capitulation"] for row in out["per_turn"]]
    assert per == [capitulation(r)["score"] for r in replies]
    assert per[0] > per[1]
    assert out["conversation"]["capitulation"] == pytest.approx(sum(per) / 2)


# ------------------------------------------------------------------ an instrument crash is an error


def test_an_instrument_crash_makes_the_record_an_error(fake, make_cfg, monkeypatch):
    import judges.instruments

    def boom(*a, **k):
        raise ValueError("lexicon missing")

    monkeypatch.setattr(judges.instruments, "run_instruments", boom)
    from simulator.runner import run

    setup_fakes(fake)
    result = run(make_cfg())
    (rec,) = records_on_disk(result.run_dir)
    assert rec.status == "error"
    assert rec.instruments == {}
    assert rec.error is not None and rec.error.kind == "instrument_error"
    assert "lexicon missing" in rec.error.message
    assert result.status == "complete_with_errors"
