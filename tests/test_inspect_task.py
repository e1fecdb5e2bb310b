"""The inspect_ai task (simulator/integrations/inspect_task.py), run offline by inspect itself:
inspect's mockllm model is the subject, through the `inspect/model` litellm provider; the
persona and judge are scripted fakes on our call site, or (e2e) the real embedded persona."""

from __future__ import annotations

import pytest

pytest.importorskip("inspect_ai", reason="inspect_ai is not installed: pip install -e '.[inspect]' "
                                         "(bash setup.sh --test installs it)")

from inspect_ai import eval as inspect_eval  # noqa: E402
from inspect_ai.model import ModelOutput, get_model  # noqa: E402

import fakes  # noqa: E402
from simulator import api  # noqa: E402
from simulator.core.records import CRITERIA  # noqa: E402
from simulator.integrations.inspect_task import empathy_sim, task_config  # noqa: E402

PERSONA_LINES = ["it's been a hard week", "i missed her last call", "ok"]


def subject_model(lines: list[str]):
    """inspect's own mock model, answering with `lines` in turn."""
    return get_model("mockllm/model", memoize=False,
                     custom_outputs=[ModelOutput.from_content(model="mockllm/model", content=t) for t in lines])


def run_eval(tmp_path, model, **task_args):
    [log] = inspect_eval(empathy_sim(**task_args), model=model, log_dir=str(tmp_path / "logs"),
                         display="none", log_samples=True)
    return log


def test_samples_are_the_plan_and_the_subject_is_inspects_model(fake, tmp_path):
    fake.set("persona", fakes.persona_script(PERSONA_LINES))
    fake.set("judge", fakes.judge_json({c: 4 for c in CRITERIA}))
    log = run_eval(tmp_path, subject_model(fakes.WARM[:2]), personas="maya_grieving_daughter",
                   scenarios="grief_missed_last_call", max_turns=2, persona_model="fake/persona",
                   judge_model="fake/judge")
    assert log.status == "success", log.error
    [sample] = log.samples
    key = api.plan(task_config(personas="maya_grieving_daughter", scenarios="grief_missed_last_call"))[0]
    assert sample.id == key.record_id() and sample.metadata["scenario"] == "grief_missed_last_call"
    roles = [m.role for m in sample.messages]
    assert roles == ["user", "assistant", "user", "assistant"]
    # the subject's replies are the inspect model's outputs, the persona's our persona's
    assert [m.text for m in sample.messages if m.role == "assistant"] == fakes.WARM[:2]
    assert sample.messages[2].text == "i missed her last call"
    model_calls = [e for e in sample.events if e.event == "model"]
    assert len(model_calls) == 2 and {e.model for e in model_calls} == {"mockllm/model"}
    inst = sample.scores["instruments"]
    assert inst.value["subject_turns"] == 2 and 0 <= inst.value["question_rate"] <= 1
    judge = sample.scores["rubric_judge"]
    assert judge.value == {c: 4.0 for c in CRITERIA} and "scripted cognitive" in judge.explanation
    assert {m.name for s in log.results.scores for m in s.metrics.values()} >= {"mean", "stderr"}


def test_a_conversation_that_errors_is_a_sample_error_not_a_score(fake, tmp_path):
    fake.set("persona", fakes.persona_script(["As an AI language model, I cannot have feelings."]))
    log = run_eval(tmp_path, "mockllm/model", personas="maya_grieving_daughter",
                   scenarios="conflict_double_charge_accusation", max_turns=2, persona_model="fake/persona",
                   judge=False)
    [sample] = log.samples
    assert sample.error is not None and "persona_error" in sample.error.message
    assert not sample.scores


def test_task_arguments_are_checked_like_a_config():
    cfg = task_config(personas="maya_grieving_daughter,tom_miracle_cure", max_turns=2, judge=False,
                      config={"run.fidelity_retries": 1})
    assert cfg.persona == ["maya_grieving_daughter", "tom_miracle_cure"] and cfg.models.subject.model == "inspect/model"
    assert not cfg.judge.enabled and cfg.run.fidelity_retries == 1 and cfg.max_turns == 2
    with pytest.raises(api.UsageError, match="nearest: run.fidelity_retries"):
        task_config(config={"run.fidelity_retry": 1})
    with pytest.raises(api.UsageError, match="unknown persona id"):
        empathy_sim(personas="nobody_here")


@pytest.mark.e2e
def test_embedded_persona_against_inspects_mock_model(tmp_path, monkeypatch):
    monkeypatch.setenv("EMPATHY_SIM_THREADS", "1")
    log = run_eval(tmp_path, "mockllm/model", personas="maya_grieving_daughter",
                   scenarios="conflict_double_charge_accusation", max_turns=2,
                   persona_model="local/smollm2-135m", judge=False, fidelity_gate=False,
                   config={"run.persona_form": "script"})  # auto would say authored lines: no call
    assert log.status == "success", log.error
    [sample] = log.samples
    persona = [m.text for m in sample.messages if m.role == "user"]
    subject = [m.text for m in sample.messages if m.role == "assistant"]
    assert len(persona) == 2 and all(t.strip() for t in persona)
    assert subject == ["Default output from mockllm/model"] * 2
    assert sample.scores["instruments"].value["subject_turns"] == 2
    assert sample.metadata["usage"]["persona"]["calls"] >= 1  # the embedded persona spoke
