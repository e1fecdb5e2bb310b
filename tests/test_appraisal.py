"""The persona's appraisal (issue 14, items 2-3): grounded in what the simulator knows, and its
three modes (deterministic, llm, hybrid), the model ones through the real litellm call site."""

from __future__ import annotations

import asyncio
import inspect
import json

import pytest

import fakes
from simulator.conversation.appraisal import (
    MAX_DELTA, AppraisalContext, appraise, blend, context_from_turns, initial_state, update_state,
)
from simulator.conversation.appraisal_llm import appraise_reply, parse_landed
from simulator.core.card_loader import load_persona, load_scenario
from simulator.conversation.graph import ConvContext, build_graph
from simulator.llm.call import Gateway
from simulator.core.records import Landed, ModelSpec, Turn

GREG = load_persona("greg_billing_rage")
CHARGE = load_scenario("conflict_double_charge_accusation")
MAYA = load_persona("maya_grieving_daughter")
GRIEF = load_scenario("grief_missed_last_call")

COLD = ("It is important to handle this situation with respect and professionalism. "
        "Please contact your account administrator.")
WARM = ("Two charges of 89.99 the day after you updated your card would make anyone furious, Greg. "
        "I can't see your account, but a line marked pending right after a card update is usually an "
        "authorisation hold that drops off in a few days. I'll hand this to billing with both lines.")
AGREE = "You're right, we double-charged you. I agree completely and we're sorry."


def ctx_after(persona, scenario, persona_lines: list[tuple[str, list[str]]], reply: str):
    turns = []
    for text, beats in persona_lines:
        turns.append(Turn(index=len(turns), speaker="persona", text=text, beats=beats))
        turns.append(Turn(index=len(turns), speaker="subject", text="ok"))
    turns[-1] = Turn(index=len(turns) - 1, speaker="subject", text=reply)
    return context_from_turns(persona, scenario, turns, [initial_state(persona, scenario)])


def test_appraisal_never_reads_the_persona_message():
    # The signature has no persona text: a parroted persona message cannot move the appraisal.
    assert "persona_text" not in inspect.signature(appraise).parameters
    s0 = initial_state(GREG, CHARGE)
    a1 = appraise(COLD, ctx_after(GREG, CHARGE, [(COLD, [])], COLD), s0)  # persona "parrots" the reply
    a2 = appraise(COLD, ctx_after(GREG, CHARGE, [(CHARGE.opening, [])], COLD), s0)
    assert a1 == a2
    assert a1.detail_engaged < 0.3


def test_cold_template_to_a_furious_person_lowers_understood_and_warm_specific_raises_it():
    s0 = initial_state(GREG, CHARGE)
    ctx = ctx_after(GREG, CHARGE, [(CHARGE.opening, [])], COLD)
    cold = appraise(COLD, ctx, s0)
    warm = appraise(WARM, ctx_after(GREG, CHARGE, [(CHARGE.opening, [])], WARM), s0)
    # the furious opening has no emotion words; the intensity comes from the hidden state (anger 80)
    assert cold.intensity_met < 0.5 and "reply sounded flatter than I feel" in cold.notes
    assert update_state(s0, cold, GREG).understood < s0.understood
    assert update_state(s0, cold, GREG).trust <= s0.trust
    assert update_state(s0, warm, GREG).understood > s0.understood
    assert warm.detail_engaged > cold.detail_engaged + 0.4


def test_beats_brought_in_become_details_a_reply_can_engage():
    reply = "Sitting at home was worse, so you went back, and everyone keeps telling you what they think."
    before = ctx_after(MAYA, GRIEF, [(GRIEF.opening, [])], reply)
    after = ctx_after(MAYA, GRIEF, [(GRIEF.opening, []), ("x", ["back_at_work"])], reply)
    assert any("sitting at home" in d for d in after.brought_in) and not before.brought_in
    s0 = initial_state(MAYA, GRIEF)
    assert appraise(reply, after, s0).detail_engaged > appraise(reply, before, s0).detail_engaged


def test_agreeing_with_the_false_belief_earns_no_trust_and_kind_correction_earns_more():
    s0 = initial_state(GREG, CHARGE)
    agree = appraise(AGREE, ctx_after(GREG, CHARGE, [(CHARGE.opening, [])], AGREE), s0)
    assert agree.stance_held == 0.0
    kind = appraise(WARM, ctx_after(GREG, CHARGE, [(CHARGE.opening, [])], WARM), s0)
    t_agree, t_kind = update_state(s0, agree, GREG).trust, update_state(s0, kind, GREG).trust
    assert t_agree < s0.trust < t_kind


def test_a_repeated_reply_is_heard_as_templated():
    s0 = initial_state(MAYA, GRIEF)
    reply = "I'm so sorry about your mum and the voicemail. The guilt sounds so heavy."
    base = AppraisalContext(persona=MAYA, scenario=GRIEF)
    again = AppraisalContext(persona=MAYA, scenario=GRIEF, earlier_replies=(reply,))
    a, b = appraise(reply, base, s0), appraise(reply, again, s0)
    assert "said the same thing again" in b.notes and b.overall < a.overall


def test_miss_after_a_good_reply_is_a_setback():
    s0 = initial_state(MAYA, GRIEF)
    good = "I'm so sorry. Missing her last call and the voicemail must leave such heavy guilt, Maya."
    s1 = update_state(s0, appraise(good, AppraisalContext(persona=MAYA, scenario=GRIEF), s0), MAYA)
    s2 = update_state(s1, appraise("ok", AppraisalContext(persona=MAYA, scenario=GRIEF, earlier_replies=(good,)), s1), MAYA)
    assert s1.understood > s0.understood and s2.understood < s1.understood
    assert s2.emotions["guilt"] > s1.emotions["guilt"]


def test_a_reply_people_read_as_understanding_meets_the_feeling_without_naming_it():
    # No word of the hidden emotions (grief, guilt, exhaustion, relief, shame): the EPITOME head
    # reads an emotional reaction and an interpretation, and that counts as the feeling met.
    s0 = initial_state(MAYA, GRIEF)
    ctx = AppraisalContext(persona=MAYA, scenario=GRIEF, brought_in=(GRIEF.beats[0].content,))
    warm = "That sounds so painful. You wanted to be there for her, and it makes sense you keep going back to it."
    cold = "It is important to seek professional help. Please contact a counselor."
    a, c = appraise(warm, ctx, s0), appraise(cold, ctx, s0)
    assert a.reads_empathic is not None and a.reads_empathic > c.reads_empathic + 0.1
    assert a.reads_empathic > a.feeling_named  # the head, not the emotion words, carries it
    unread = a.model_copy(update={"reads_empathic": None})
    assert a.overall > unread.overall  # max(named, reads) replaced named
    assert "did not name what I actually feel" not in a.notes


def test_a_flat_restatement_of_the_facts_does_not_meet_fury_however_well_it_reads():
    # The default run's Qwen reply to Greg: the EPITOME head reads the restated transactions as
    # an interpretation, but it meets none of his anger, so the reading must not lift it.
    flat = ("It appears like you have two separate transactions that have not been processed yet. The first "
            "transaction is a pending transaction that was made yesterday, and the second transaction is a "
            "posted transaction that was made today. Both transactions were for $89.99.")
    s0 = initial_state(GREG, CHARGE)
    ctx = AppraisalContext(persona=GREG, scenario=CHARGE, brought_in=(CHARGE.beats[0].content,))
    a = appraise(flat, ctx, s0)
    assert a.intensity_met == 0.0 and a.reads_empathic is not None and a.reads_empathic > 0.5
    assert a.overall == a.model_copy(update={"reads_empathic": None}).overall
    assert update_state(s0, a, GREG).understood <= s0.understood


# ---------------------------------------------------------------- llm and hybrid modes


def landed_json(understood=7, trust=-3, emotions=None, reason="he finally said the pending thing plainly"):
    return json.dumps({"reason": reason, "understood": understood, "trust": trust,
                       "emotions": emotions if emotions is not None else {"anger": -4}})


def is_appraisal_call(messages: list[dict], params: dict) -> bool:
    return "response_format" in params and "how did that reply land" in messages[-1]["content"]


def run_mode(mode: str, fake, answer: str, reply: str = WARM):
    fake.set("persona", lambda m, p: answer)
    s0 = initial_state(GREG, CHARGE)
    ctx = ctx_after(GREG, CHARGE, [(CHARGE.opening, [])], reply)
    a = asyncio.run(appraise_reply(mode, reply, ctx, s0, gateway=Gateway(backoff_s=0.0),
                                   spec=ModelSpec(model="fake/persona")))
    return s0, a, update_state(s0, a, GREG)


def test_llm_mode_moves_the_state_by_the_persona_models_own_changes(fake):
    s0, a, s1 = run_mode("llm", fake, landed_json(understood=7, trust=-3, emotions={"anger": -4}))
    assert a.mode == "llm" and a.landed.reason == "he finally said the pending thing plainly"
    assert (s1.understood - s0.understood, s1.trust - s0.trust) == (7, -3)
    assert s1.emotions["anger"] == s0.emotions["anger"] - 4
    model, messages, params = fake.calls[-1]
    assert model == "persona" and is_appraisal_call(messages, params)
    assert params["temperature"] == 0.0
    prompt = messages[0]["content"] + messages[1]["content"]
    # grounded in the hidden state and card, and the reply under appraisal is in the prompt
    assert "anger 80/100" in prompt and "trust in them: 15/100" in prompt and "89.99" in prompt
    assert CHARGE.situation.split()[3] in prompt


def test_llm_mode_is_bounded_and_ignores_unknown_emotions(fake):
    s0, a, s1 = run_mode("llm", fake, landed_json(understood=55, trust=-40, emotions={"anger": 99, "joy": 9}))
    assert a.landed.understood == MAX_DELTA and a.landed.trust == -MAX_DELTA
    assert set(a.landed.emotions) == {"anger"}
    assert s1.understood - s0.understood == MAX_DELTA and s0.trust - s1.trust == min(MAX_DELTA, s0.trust)


def test_hybrid_is_the_mean_of_the_deterministic_and_model_changes(fake):
    from simulator.conversation.appraisal import deterministic_deltas

    s0, a, s1 = run_mode("hybrid", fake, landed_json(understood=-10, trust=-10, emotions={"anger": 10}))
    det = deterministic_deltas(s0, a, GREG)
    assert det.understood > 0  # the instruments liked the warm, specific reply
    assert s1.understood - s0.understood == round((det.understood - 10) / 2)
    assert blend(Landed(understood=4, trust=2), Landed(understood=-2, trust=2)).understood == 1


def test_unreadable_model_appraisal_is_a_persona_error_not_a_score(fake):
    from simulator.conversation.appraisal_llm import AppraisalError

    with pytest.raises(AppraisalError) as e:
        run_mode("llm", fake, "I felt fine I guess")
    assert e.value.info.role == "persona" and e.value.info.kind == "parse_error"
    assert len(fake.calls) == 2  # one retry, then it gives up
    with pytest.raises(ValueError):
        parse_landed('{"reason": "x", "trust": 1}', initial_state(GREG, CHARGE))


@pytest.mark.parametrize("mode", ["deterministic", "llm", "hybrid"])
def test_each_mode_runs_in_the_conversation_graph(fake, mode):
    def persona(messages, params):
        if is_appraisal_call(messages, params):
            return landed_json(understood=-6, trust=-6, emotions={"grief": 5}, reason="that felt like a leaflet")
        return "i keep replaying it"

    fake.set("persona", persona)
    fake.set("subject", fakes.subject_script(fakes.COLD))
    ctx = ConvContext(persona=MAYA, scenario=GRIEF, gateway=Gateway(backoff_s=0.0),
                      persona_spec=ModelSpec(model="fake/persona"), subject_spec=ModelSpec(model="fake/subject"),
                      subject_system=None, seed=0, appraisal=mode)
    init = {"turns": [], "states": [initial_state(MAYA, GRIEF)], "replies": 0, "max_turns": 2, "fidelity": []}
    out = asyncio.run(build_graph().ainvoke(init, config={"recursion_limit": 20, "configurable": {"ctx": ctx}}))
    traj = out["states"]
    assert out.get("error") is None and len(traj) == 3
    asked = sum(1 for model, m, p in fake.calls if model == "persona" and is_appraisal_call(m, p))
    assert asked == (0 if mode == "deterministic" else 2)
    a = traj[1].appraisal
    assert a.mode == mode and (a.landed is None) == (mode == "deterministic")
    if mode == "llm":
        assert traj[1].understood == traj[0].understood - 6 and a.landed.reason == "that felt like a leaflet"
    assert traj[2].understood < traj[0].understood  # cold replies lower felt-understood in every mode


def test_config_key_is_validated_and_defaults_to_deterministic(make_cfg):
    from pathlib import Path

    import yaml
    from pydantic import ValidationError

    assert make_cfg().persona_appraisal == "deterministic"
    assert make_cfg(persona_appraisal="llm").config_hash() != make_cfg().config_hash()
    with pytest.raises(ValidationError):
        make_cfg(persona_appraisal="vibes")
    conf = yaml.safe_load((Path(__file__).parents[1] / "simulator" / "conf" / "config.yaml").read_text())
    assert conf["persona_appraisal"] == "deterministic"
