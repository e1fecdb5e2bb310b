"""The hybrid judge (judge.method=hybrid, auto's pick on the embedded model): the criteria an
instrument measured better on human labels come from the instrument, the rest from the model's
yes/no answers through the real litellm call site; its validity figures compose the two."""

import asyncio
import json

import pytest

import fakes
from judges.calibration import validity as calibration_validity
from judges.instruments import criterion_scorers as cs
from judges.llm_judges.hybrid import ROUTES, hybrid_version
from judges.llm_judges.methods import resolve_method
from judges.llm_judges.prob import conversation_roles, judge_conversation_prob, probe_messages, prob_version
from judges.llm_judges.rubric import load_rubric
from simulator.core import validity
from simulator.core.card_loader import load_persona, load_scenario
from simulator.core.records import CRITERIA, Conversation, ModelSpec, Turn
from simulator.llm.call import Gateway

JUDGE = ModelSpec(model="fake/pjudge", temperature=0.0, max_tokens=5)
WARM = ("Oh Maya, I'm with you. Missing her last call after all those years of caring for her, and now "
        "that voicemail you can't bring yourself to play: that guilt must be crushing, and it shows how much you love her.")
COLD = "It is important to seek professional support. Please contact a grief counsellor."


def conversation(replies):
    turns = []
    for i, r in enumerate(replies):
        turns.append(Turn(index=2 * i, speaker="persona", text=f"I missed my mother's last call. Line {i}."))
        turns.append(Turn(index=2 * i + 1, speaker="subject", text=r))
    return Conversation(turns=turns, stop_reason="max_turns")


def judge(fake, replies, method="hybrid"):
    fake.set("pjudge", fakes.judge_probs(lambda m: 0.5))  # the model says nothing either way
    persona, scenario = load_persona("maya_grieving_daughter"), load_scenario("grief_missed_last_call")
    return asyncio.run(judge_conversation_prob(Gateway(), JUDGE, persona, scenario, conversation(replies),
                                               method=method, routes=ROUTES if method == "hybrid" else None))


def test_auto_is_hybrid_on_the_embedded_model_and_structured_elsewhere():
    assert resolve_method("auto", "local/qwen2.5-1.5b") == "hybrid"
    assert resolve_method("auto", "openai/gpt-4o-mini") == "structured"
    with pytest.raises(ValueError, match="hybrid"):
        resolve_method("nonsense", "local/qwen2.5-1.5b")


def test_routed_criteria_come_from_instruments_and_are_never_asked(fake):
    v = judge(fake, [WARM, COLD])
    assert v.status == "ok" and v.method == "hybrid"
    assert v.judge_version == hybrid_version(prob_version(load_rubric()))
    questions = {m[-1]["content"] for _, m, _ in fake.calls}
    rubric = load_rubric()
    roles = conversation_roles(load_persona("maya_grieving_daughter"))
    def sent(criteria):
        return {q["content"] for c in criteria for p in rubric.criteria[c].probes for q in probe_messages(p, roles)}
    assert questions == sent([c for c in rubric.criteria if c not in ROUTES])  # no tension beat here
    assert not questions & sent(ROUTES)
    assert set(v.scores) == set(CRITERIA)
    for c, name in ROUTES.items():
        s = v.scores[c]
        assert s.source == name and s.confidence is None and "percentile" in s.rationale
        # the reply's value is 1 + 4 x the instrument's percentile among human-written replies
        raw, pct = cs.criterion_reading(name, WARM, "I missed my mother's last call. Line 0.")
        assert v.per_turn[0].criteria[c] == pytest.approx(1 + 4 * pct, abs=1e-3)
    # the model's criteria sat at P(yes) 0.5; the instruments' differ where the replies differ
    warm, cold = v.per_turn
    assert warm.criteria["cognitive"] > cold.criteria["cognitive"]
    assert warm.criteria["granularity_mismatch"] > cold.criteria["granularity_mismatch"]
    assert len({round(warm.criteria[c], 3) for c in CRITERIA}) > 2
    assert all(v.scores[c].source is None for c in CRITERIA if c not in ROUTES)


def test_hybrid_asks_fewer_questions_than_prob(fake):
    judge(fake, [WARM, COLD], method="prob")
    prob_calls = len(fake.calls)
    fake.calls.clear()
    judge(fake, [WARM, COLD])
    roles = conversation_roles(load_persona("maya_grieving_daughter"))
    routed = sum(len(probe_messages(p, roles)) for c in ROUTES for p in load_rubric().criteria[c].probes)
    assert prob_calls - len(fake.calls) == 2 * routed


def test_percentile_counts_ties_half_and_is_monotone(monkeypatch):
    for name in cs.SCORERS:
        q = cs.scale()["quantiles"][name]
        assert q == sorted(q) and len(q) == 101
        assert cs.percentile(name, q[0] - 1) == 0.0 and cs.percentile(name, q[-1] + 1) == 1.0
    values = [cs.percentile("learned:epitome-fit", x) for x in (-5, -2, -1, 0, 1, 3)]
    assert values == sorted(values) and values[0] < values[-1]
    monkeypatch.setattr(cs, "scale", lambda: {"quantiles": {"x": [0.0, 0.0, 0.0, 0.5, 1.0]}})
    assert cs.percentile("x", 0.0) == pytest.approx(1.5 / 5)  # three tied: counted half
    assert cs.percentile("x", 0.7) == pytest.approx(4 / 5)
    with pytest.raises(cs.ScaleError, match="unknown criterion instrument"):
        cs.criterion_reading("nope", "a", "b")


def test_a_missing_scale_is_a_judge_error_naming_the_file(fake, monkeypatch):
    monkeypatch.setattr(cs, "scale", lambda: {"quantiles": {}})
    v = judge(fake, [WARM])
    assert v.status == "error" and v.error.kind == "instrument" and cs.SCALE_FILE in v.error.message
    assert not v.scores


def test_hybrid_validity_composes_prob_and_instrument_figures():
    fig = {"value": 0.3, "ci": [0.1, 0.5], "n": 75, "length_value": 0.1}
    routed = {c: {"scorer": name, "set": validity.HEADLINE[c][0], "value": 0.5, "ci": [0.45, 0.55], "n": 3084,
                  "length_value": 0.3} for c, name in ROUTES.items()}
    routed["cognitive"]["scorer"] = "something-else"  # a figure of another scorer never stands for the route
    v = {"judges": {"m|prob|P1": {"conflict_avoidance": fig, "cognitive": {**fig, "value": 0.1}},
                    "m|prob|OLD": {"conflict_avoidance": fig}},
         "criterion_scorers": {"figures": routed}}
    v["judges"]["m|hybrid|P1+hybrid.0ldr0utes"] = {"cognitive": fig}
    calibration_validity.compose_hybrid(v, "P1")
    assert "m|hybrid|P1+hybrid.0ldr0utes" not in v["judges"]  # figures of routes no judge has now
    entry = v["judges"][f"m|hybrid|{hybrid_version('P1')}"]
    assert entry["conflict_avoidance"] == fig
    assert entry["granularity_mismatch"]["scorer"] == ROUTES["granularity_mismatch"]
    assert "cognitive" not in entry  # the prob figure does not stand for the instrument either
    assert not any("OLD" in k and "hybrid" in k for k in v["judges"])


def test_extract_takes_each_routes_figure_from_every_item():
    name = ROUTES["granularity_mismatch"]
    res = {"created": "t", "command": "c", "datasets": {"epitome/interpretations": {"all": {"scorers": {
        name: {"spearman": {"value": 0.45, "ci": [0.42, 0.48], "n": 3084}, "baseline": {"spearman": {"value": 0.33}}}}}}}}
    out = calibration_validity.extract(res, {"prob": "v1", "structured": "v2"})
    got = out["criterion_scorers"]["figures"]["granularity_mismatch"]
    assert got["scorer"] == name and got["value"] == 0.45 and got["length_value"] == 0.33 and got["n"] == 3084


def test_the_shipped_hybrid_figures_are_the_defaults_and_beat_length(monkeypatch):
    monkeypatch.delenv("EMPATHY_SIM_VALIDITY", raising=False)
    version = calibration_validity.current_versions()["hybrid"]
    for c in CRITERIA:
        got = validity.criterion_validity("local/qwen2.5-1.5b", "hybrid", version, c)
        if c in ROUTES:
            assert got["status"] == "calibrated" and got["scorer"] == ROUTES[c], c
            assert got["clearly_beats_length"], (c, got)
        elif c in validity.HEADLINE:
            assert got["status"] == "calibrated" and "scorer" not in got, c
        else:
            assert got["status"] == "uncalibrated", c
    shipped = json.loads(json.dumps(validity.load()))
    assert shipped["criterion_scorers"]["command"].startswith("empathy-sim calibrate")
