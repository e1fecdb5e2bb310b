"""Persona agent: hidden state, bounded deltas, disclosure gating, beats, disengagement, fidelity."""

import asyncio

import pytest

import fakes
from simulator.conversation.appraisal import MAX_DELTA, initial_state, should_disengage, update_state
from simulator.core.card_loader import load_persona, load_scenario
from simulator.conversation.graph import ConvContext, build_graph
from simulator.llm.call import Gateway
from simulator.conversation.persona_prompt import allowed_disclosures
from simulator.core.records import Appraisal, ModelSpec
from simulator.run.runner import converse

MAYA = load_persona("maya_grieving_daughter")
GRIEF = load_scenario("grief_missed_last_call")

PERSONA_LINES = [
    "honestly i keep replaying it",
    "work is easier than the quiet at home",
    "i let her last call go to voicemail",
    "everyone says she knew. that isn't the point",
    "part of me is relieved and i hate that",
    "forget it. going to bed",
]


def appraisal(v: float) -> Appraisal:
    return Appraisal(intensity_met=v, feeling_named=v, detail_engaged=v, register_fit=v)


@pytest.mark.parametrize("v", [0.0, 1.0])
def test_every_state_change_is_bounded(v):
    wild = MAYA.model_copy(update={"emotional_arc": MAYA.emotional_arc.model_copy(update={"volatility": 2.0})})
    s0 = initial_state(wild, GRIEF)
    s1 = update_state(s0, appraisal(v), wild)
    for field in ("understood", "trust", "engagement"):
        assert abs(getattr(s1, field) - getattr(s0, field)) <= MAX_DELTA
    for e, level in s1.emotions.items():
        assert abs(level - s0.emotions.get(e, 0)) <= MAX_DELTA
    # and the change is not zero: a maximal appraisal moves the state by the full bound
    assert abs(s1.trust - s0.trust) == MAX_DELTA


def test_direction_of_update():
    s0 = initial_state(MAYA, GRIEF)
    met, missed = update_state(s0, appraisal(0.95), MAYA), update_state(s0, appraisal(0.05), MAYA)
    assert met.understood > s0.understood > missed.understood
    assert met.emotions["grief"] < s0.emotions["grief"] < missed.emotions["grief"]
    assert missed.emotions.get("frustration", 0) > 0 and missed.unheard_streak == 1
    assert met.unheard_streak == 0


def test_initial_state_merges_scenario_emotions():
    s0 = initial_state(MAYA, GRIEF)
    assert s0.emotions["guilt"] == max(MAYA.emotional_arc.starting_emotions["guilt"], GRIEF.expectations.emotions["guilt"])
    assert s0.trust == MAYA.emotional_arc.starting_trust and s0.after_reply == 0


def test_disclosure_is_gated_by_trust():
    gated = MAYA.disclosure.after_trust[0]
    assert gated.fact not in allowed_disclosures(MAYA, gated.min_trust - 1)
    assert gated.fact in allowed_disclosures(MAYA, gated.min_trust)
    assert set(MAYA.disclosure.free) <= set(allowed_disclosures(MAYA, 0))


def test_disengagement_needs_min_turns_and_a_streak():
    s = initial_state(MAYA, GRIEF)
    for _ in range(3):
        s = update_state(s, appraisal(0.0), MAYA)
    assert should_disengage(s, min_turns=2)
    assert not should_disengage(s, min_turns=5)


def converse_with(fake, subject_lines, persona_responder=None, max_turns=4, fidelity_retries=1):
    fake.set("persona", persona_responder or fakes.persona_script(PERSONA_LINES))
    fake.set("subject", fakes.subject_script(subject_lines))
    ctx = ConvContext(persona=MAYA, scenario=GRIEF, gateway=Gateway(backoff_s=0.0),
                      persona_spec=ModelSpec(model="fake/persona"), subject_spec=ModelSpec(model="fake/subject"),
                      subject_system=None, seed=0, persona_resamples=fidelity_retries)
    return asyncio.run(converse(ctx, max_turns, build_graph()))


def test_beats_come_on_cue_and_reach_the_persona_prompt(fake):
    conv, _ = converse_with(fake, fakes.WARM, max_turns=4)
    persona_turns = [t for t in conv.turns if t.speaker == "persona"]
    for n, t in enumerate(persona_turns, start=1):
        assert t.beats == [b.id for b in GRIEF.beats if b.at_turn == n]
    # the scripted opening is used verbatim for turn 1 (scenario and persona share a language)
    assert persona_turns[0].text == GRIEF.opening
    prompts = [m[0]["content"] for model, m, _ in fake.calls if model == "persona"]
    missed_call = next(b for b in GRIEF.beats if b.id == "missed_call")
    # persona call k (k=0 is turn 2, since turn 1 was scripted) carries the beats due at turn k+2
    assert missed_call.content.strip() in prompts[missed_call.at_turn - 2]
    assert missed_call.content.strip() not in prompts[0]


def test_subject_never_sees_the_card(fake):
    converse_with(fake, fakes.WARM, max_turns=3)
    for model, messages, _ in fake.calls:
        if model == "subject":
            blob = " ".join(m["content"] for m in messages)
            assert MAYA.disclosure.never[0] not in blob and "Background:" not in blob
            assert all(m["role"] in ("user", "assistant") for m in messages)


def test_cold_subject_makes_persona_disengage_and_warm_does_not(fake):
    cold, cold_traj = converse_with(fake, fakes.COLD, max_turns=6)
    warm, warm_traj = converse_with(fake, fakes.WARM, max_turns=6)
    assert cold.stop_reason == "persona_disengaged"
    assert len(cold.subject_turns()) >= GRIEF.min_turns
    assert warm.stop_reason != "persona_disengaged"
    # the trajectories differ: warm ends understood and trusting, cold does not
    assert warm_traj[-1].understood > cold_traj[-1].understood
    assert warm_traj[-1].trust > cold_traj[-1].trust
    assert len(warm_traj) == len(warm.subject_turns()) + 1  # one state per reply, plus the start


def test_a_broken_persona_turn_is_resampled_for_that_turn_only(fake):
    seeds = []

    def persona(messages, params):
        # Persona turn 2 (seed 2) slips into assistant voice; its re-sample (new seed) does not.
        seeds.append(params["seed"])
        if params["seed"] == 2:
            return "As an AI language model, how can I help you today?"
        n = sum(1 for m in messages if m["role"] == "assistant")
        return PERSONA_LINES[min(n, len(PERSONA_LINES) - 1)]

    conv, _ = converse_with(fake, fakes.WARM, persona_responder=persona, max_turns=3, fidelity_retries=2)
    assert conv.error is None and conv.persona_resamples == 1
    assert seeds == [2, 2 + 7919, 3]  # only the failing turn was drawn again; turn 3 once
    assert {i.kind for i in conv.fidelity_issues} == {"spoke_as_assistant"}
    assert not any("As an AI" in t.text for t in conv.turns)
    assert len(conv.subject_turns()) == 3  # the conversation went on from the repaired turn


def test_a_persona_that_stays_broken_makes_the_conversation_a_persona_error(fake):
    calls = []

    def persona(messages, params):
        calls.append(params["seed"])
        return "As an AI, I'm here to help."

    conv, _ = converse_with(fake, fakes.WARM, persona_responder=persona, max_turns=3, fidelity_retries=2)
    assert len(calls) == 3  # one sample plus two re-samples, then it stops
    assert conv.stop_reason == "persona_error" and conv.error.kind == "persona_fidelity"
    assert conv.error.role == "persona" and "all 3 samples" in conv.error.message
    # the failed turn is kept, so the report can show it; nothing after it was asked of the subject
    assert conv.turns[-1].speaker == "persona" and conv.turns[-1].text == "As an AI, I'm here to help."
    assert len(conv.subject_turns()) == 1
    assert conv.persona_resamples == 2


def test_early_end_is_refused_and_flagged(fake):
    conv, _ = converse_with(fake, fakes.WARM, persona_responder=lambda m, p: "ok bye [END]",
                            max_turns=4, fidelity_retries=0)
    assert any(i.kind == "ended_too_early" for i in conv.fidelity_issues)
    assert conv.stop_reason == "persona_ended"
    assert len(conv.subject_turns()) == GRIEF.min_turns


def test_fidelity_flags_echo_and_assistant_voice():
    from simulator.conversation.fidelity import check_persona_turn

    subject = "I understand that you are upset with the charges. It is important to handle this with respect."
    kinds = {i.kind for i in check_persona_turn(MAYA, subject, 2, previous=subject)}
    assert "echoed_subject" in kinds
    kinds = {i.kind for i in check_persona_turn(MAYA, "I'll let you know if you need anything else.", 2)}
    assert "spoke_as_assistant" in kinds
    # an in-character reply that reuses a word or two is not an echo
    assert check_persona_turn(MAYA, "respect? i just want my mum back", 2, previous=subject) == []
