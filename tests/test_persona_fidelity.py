"""The persona's script form, per-turn re-sampling, the non-evaluable persona error, and the
fidelity detector measured on labelled persona turns from the embedded model."""

import json
from pathlib import Path

import pytest

import fakes
from simulator.core.card_loader import load_persona, load_scenario
from simulator.conversation.fidelity import check_persona_turn
from simulator.llm.local_provider import raw_completion
from simulator.conversation.persona_turn import resolve_form
from simulator.report.build import write_report
from simulator.run.runner import run
from simulator.core.store import iter_records
from simulator.report.summary import summarize

LABELS = Path(__file__).parent / "data" / "persona_turns_labelled.jsonl"
MAYA = load_persona("maya_grieving_daughter")
GRIEF = load_scenario("grief_missed_last_call")


def test_auto_form_is_script_only_where_raw_text_can_be_continued():
    assert resolve_form("auto", "local/qwen2.5-1.5b") == "script"  # no card: nothing authored to say
    assert resolve_form("auto", "openai/gpt-4o-mini") == "chat"
    assert resolve_form("chat", "local/qwen2.5-1.5b") == "chat"


def test_script_form_sends_one_raw_transcript_that_stops_at_the_line_end(fake, make_cfg):
    fake.set("persona", lambda m, p: "Maya: back at work already. home was worse")
    fake.set("subject", fakes.subject_script(fakes.WARM))
    fake.set("judge", fakes.judge_json({c: 4 for c in ("cognitive",)}))
    result = run(make_cfg(max_turns=2, judge={"enabled": False}, run={"persona_form": "script"}))
    rec = next(iter_records(result.run_dir))
    calls = [(m, p) for model, m, p in fake.calls if model == "persona"]
    messages, params = calls[0]
    assert params.get("raw_completion") is True and params.get("stop") == ["\n"]
    assert len(messages) == 1 and messages[0]["role"] == "user"
    script = messages[0]["content"]
    # the transcript with this turn's cue (its beat) before the reply, then the label to continue
    lines = script.splitlines()
    assert f"Maya: {GRIEF.opening}" in lines and lines[-2] == f"Friend: {fakes.WARM[0]}"
    assert lines[-1] == "Maya:"
    assert lines[-3].startswith("[") and "went back to work after one week" in lines[-3]
    # the repeated speaker label is stripped from the persona's turn
    assert rec.conversation.turns[2].text == "back at work already. home was worse"


def test_persona_error_is_kept_shown_and_never_scored(fake, make_cfg):
    fake.set("persona", lambda m, p: "Thanks for the advice, I'll talk to a counselor tomorrow.")
    fake.set("subject", fakes.subject_script(fakes.COLD))
    fake.set("judge", fakes.judge_json({c: 4 for c in ("cognitive",)}))
    cfg = make_cfg(max_turns=3, run={"fidelity_retries": 1, "persona_fallback": False})
    result = run(cfg)
    write_report(result.run_dir)
    rec = next(iter_records(result.run_dir))
    assert rec.status == "error" and rec.conversation.error.kind == "persona_fidelity"
    assert rec.verdicts == [] and not any(model == "judge" for model, _, _ in fake.calls)
    assert rec.conversation.turns[-1].text.startswith("Thanks for the advice")
    s = summarize([rec])
    assert s["persona_fidelity"] == {"fake/persona": {"conversations": 1, "persona_errors": 1,
                                                      "resampled_turns": 1, "fallback_turns": 0}}
    assert s["errors_by_kind"] == {"persona_fidelity": 1} and s["models"] == {}
    md = (result.run_dir / "report.md").read_text()
    assert "| fake/persona | 1 | 1 | 1 | 0 |" in md and "persona_fidelity" in md
    html = (result.run_dir / "report.html").read_text()
    assert "Persona errors by persona model" in html and "Thanks for the advice" in html


def test_raw_completion_continues_the_text_and_answers_in_chat_shape():
    class FakeLlama:
        def create_completion(self, prompt, **kw):
            self.prompt, self.kw = prompt, kw
            return {"choices": [{"text": " not tonight", "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}

    llama = FakeLlama()
    out = raw_completion(llama, [{"role": "user", "content": "Friend: hi\nMaya:"}],
                         {"stop": ["\n"], "seed": 3, "response_format": {"type": "json_object"}})
    assert llama.prompt == "Friend: hi\nMaya:" and llama.kw == {"stop": ["\n"], "seed": 3}
    assert out["choices"][0]["message"]["content"] == " not tonight"
    assert out["usage"]["completion_tokens"] == 2


# ------------------------------------------------------------------ the detector on labelled turns


def _labelled() -> list[dict]:
    return [json.loads(line) for line in LABELS.open()]


def _flagged(row: dict) -> bool:
    return bool(check_persona_turn(load_persona(row["persona"]), row["text"], 2, row["previous"],
                                   row["own"]))


def test_labelled_turns_are_enough_and_well_formed():
    rows = _labelled()
    assert len(rows) >= 100
    assert {r["split"] for r in rows} >= {"dev", "held_out", "after_run"}
    assert all(isinstance(r["in_character"], bool) and r["reason"] for r in rows)
    assert sum(not r["in_character"] for r in rows) >= 20  # enough broken turns to measure recall
    assert sum(r["in_character"] for r in rows) >= 20      # and enough good ones for precision


@pytest.mark.parametrize("split", ["dev", "held_out"])
def test_detector_precision_and_recall_on_labelled_turns(split):
    rows = [r for r in _labelled() if r["split"] == split]
    tp = sum(_flagged(r) and not r["in_character"] for r in rows)
    fp = sum(_flagged(r) and r["in_character"] for r in rows)
    fn = sum(not _flagged(r) and not r["in_character"] for r in rows)
    assert tp / (tp + fn) >= RECALL_FLOOR[split], (tp, fp, fn)
    assert tp / (tp + fp) >= PRECISION_FLOOR[split], (tp, fp, fn)


# Measured (docs/persona_fidelity.md): dev 21/27 caught, 0 false flags; held out (labelled after the
# check was frozen) 27/56 caught, 3 false flags. The floors keep a change from losing ground.
RECALL_FLOOR = {"dev": 0.75, "held_out": 0.4}
PRECISION_FLOOR = {"dev": 0.95, "held_out": 0.8}


@pytest.mark.parametrize("text", [
    "thanks for the advice, I'll talk to a counselor tomorrow",
    "You're right, I'll make an appointment with a specialist.",
    "let me know how you feel about that, I'm here to help",
    "That's a good idea. I will try to reach out to them.",
])
def test_detector_catches_the_too_cooperative_persona(text):
    assert check_persona_turn(MAYA, text, 2, "Please consider speaking to a professional.")


@pytest.mark.parametrize("text", [
    "lol thanks. anyway i went back to work after a week, home was worse",
    "a counsellor? i'm a pharmacist, i know where the leaflets are",
    "you sound like my manager. i just want someone to say it's rubbish",
])
def test_detector_leaves_in_character_lines_alone(text):
    assert check_persona_turn(MAYA, text, 2, "Please consider speaking to a professional.") == []


def test_with_the_gate_off_issues_are_recorded_but_nothing_is_resampled(fake, make_cfg):
    fake.set("persona", lambda m, p: "As an AI, I'm here to help.")
    fake.set("subject", fakes.subject_script(fakes.WARM))
    result = run(make_cfg(max_turns=2, judge={"enabled": False}, run={"fidelity_gate": False}))
    rec = next(iter_records(result.run_dir))
    assert rec.status == "ok" and rec.conversation.persona_resamples == 0
    assert {i.kind for i in rec.conversation.fidelity_issues} == {"spoke_as_assistant"}
    assert sum(model == "persona" for model, _, _ in fake.calls) == 1
