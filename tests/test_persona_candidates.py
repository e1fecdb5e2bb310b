"""Best-of-n persona candidates ranked by the in-character scorer, and the authored fallback
lines said when every sample of a turn fails (simulator/conversation/persona_turn.py,
in_character.py, fallback.py). Model fakes go through the litellm call site."""

import asyncio
import math

import pytest

import fakes
from simulator.conversation.fallback import fallback_line, lines_for, wanted_kind
from simulator.conversation.fidelity import check_persona_turn
from simulator.conversation.graph import ConvContext, build_graph
from simulator.conversation.in_character import THRESHOLD
from simulator.conversation.persona_turn import speak
from simulator.core.card_loader import list_ids, load_persona, load_scenario
from simulator.core.records import ModelSpec, PersonaState, Turn
from simulator.llm.call import Gateway
from simulator.run.runner import converse

MAYA = load_persona("maya_grieving_daughter")
GRIEF = load_scenario("grief_missed_last_call")
SPEC = ModelSpec(model="fake/persona")
TURNS = [Turn(index=0, speaker="persona", text=GRIEF.opening),
         Turn(index=1, speaker="subject", text=fakes.COLD[0])]
ASSISTANT = "As an AI, I'm here to help."


def scored_persona(lines_by_seed: dict[int, str], p_by_line: dict[str, float], calls: list):
    """Persona fake: a line per seed for writing; for a logprobs question, P(yes) by which line
    the scorer's context quotes (the question asks 'does she accept the advice': yes = bad)."""

    def respond(messages, params):
        if params.get("logprobs"):
            context = messages[0]["content"]
            line = next(t for t in p_by_line if t in context)
            p_yes = 1 - p_by_line[line]  # the question's yes means out of character
            calls.append(("score", line))
            return {"logprobs": [[("Yes", math.log(p_yes)), ("No", math.log(1 - p_yes))]]}
        calls.append(("write", params["seed"]))
        return lines_by_seed[params["seed"]]

    return respond


def _speak(fake, responder, **kw):
    fake.set("persona", responder)
    state = PersonaState(after_reply=1, emotions={"grief": 80}, understood=40, trust=55, engagement=60)
    return asyncio.run(speak(Gateway(backoff_s=0.0), SPEC, "chat", MAYA, GRIEF, state, TURNS, [],
                             seed=2, **kw))


def test_best_of_n_keeps_the_candidate_the_scorer_ranks_highest(fake):
    lines = {2: "yeah whatever, work's fine", 2 + 7919: "mate i just want her voice back",
             2 + 2 * 7919: "honestly i keep replaying the voicemail"}
    p = {lines[2]: 0.55, lines[2 + 7919]: 0.9, lines[2 + 2 * 7919]: 0.7}
    calls: list = []
    turn = _speak(fake, scored_persona(lines, p, calls), resamples=0, candidates=3, scorer=True)
    assert turn.text == lines[2 + 7919] and turn.kept == 1 and not turn.failed
    assert [s.p_in_character for s in turn.samples] == pytest.approx([0.55, 0.9, 0.7], abs=1e-3)
    # three lines written with three seeds, each asked about once
    assert [c for c in calls if c[0] == "write"] == [("write", 2), ("write", 2 + 7919), ("write", 2 + 2 * 7919)]
    assert sum(c[0] == "score" for c in calls) == 3


def test_a_line_the_scorer_rejects_is_resampled_and_a_pattern_failure_is_not_scored(fake):
    lines = {2: ASSISTANT, 2 + 7919: "ok sure that sounds lovely", 2 + 2 * 7919: "not tonight. too tired"}
    p = {lines[2 + 7919]: 0.2, lines[2 + 2 * 7919]: 0.8, ASSISTANT: 0.99}
    calls: list = []
    turn = _speak(fake, scored_persona(lines, p, calls), resamples=2, candidates=1, scorer=True)
    assert turn.text == "not tonight. too tired" and turn.kept == 2
    kinds = [[i.kind for i in s.issues] for s in turn.samples]
    assert "spoke_as_assistant" in kinds[0] and kinds[1] == ["out_of_character"] and kinds[2] == []
    assert THRESHOLD > 0.2
    assert ("score", ASSISTANT) not in calls  # the patterns already failed it: no scorer call


def test_every_sample_failing_says_the_cards_fallback_line(fake):
    calls: list = []
    turn = _speak(fake, scored_persona({2: ASSISTANT, 2 + 7919: ASSISTANT}, {}, calls),
                  resamples=1, fallback=True)
    # no beat due and she does not feel heard (understood 40): a pushback line from her card
    assert turn.fallback == "pushback" and not turn.failed and turn.kept is None
    assert turn.text == MAYA.fallback_lines["pushback"][0].text
    assert len(turn.samples) == 2
    # without the fallback the same turn fails
    turn = _speak(fake, scored_persona({2: ASSISTANT, 2 + 7919: ASSISTANT}, {}, []), resamples=1)
    assert turn.failed and turn.text == ASSISTANT


def test_fallback_kind_follows_closing_beats_and_the_appraisal():
    state = PersonaState(after_reply=1, emotions={"grief": 80}, understood=40, trust=55, engagement=60)
    beat = next(b for b in GRIEF.beats if b.kind == "revelation")
    assert wanted_kind(state, [], closing=True) == "closing"
    assert wanted_kind(state, [beat], closing=False) == "detail"
    assert wanted_kind(state, [], closing=False) == "pushback"
    assert wanted_kind(state.model_copy(update={"understood": 75}), [], closing=False) == "softening"


def test_fallback_respects_disclosure_gates_and_never_repeats_a_line():
    beat = next(b for b in GRIEF.beats if b.kind == "revelation")
    gated = next(x for x in MAYA.fallback_lines["detail"] if x.min_trust)
    free = next(x for x in MAYA.fallback_lines["detail"] if not x.min_trust)
    low = PersonaState(after_reply=1, emotions={"grief": 80}, understood=40, trust=gated.min_trust - 1, engagement=60)
    high = low.model_copy(update={"trust": gated.min_trust})
    assert free.text != gated.text
    assert fallback_line(MAYA, low, [beat], closing=False, said=[])[0] != gated.text  # waits for its trust
    assert fallback_line(MAYA, high, [beat], closing=False, said=[], scenario=GRIEF.id) == (gated.text, "detail")
    # the free lines already said and the gated one not yet allowed: the next kind's line
    free_all = [x.text for x in lines_for(MAYA, "detail", GRIEF.id) if not x.min_trust]
    text, kind = fallback_line(MAYA, low, [beat], closing=False, said=free_all, scenario=GRIEF.id)
    assert kind == "pushback" and text != gated.text
    assert fallback_line(MAYA, high, [beat], closing=False, said=free_all, scenario=GRIEF.id) == (gated.text, "detail")
    # closing never falls back to an open-conversation line
    assert fallback_line(MAYA, low, [], closing=True, said=[MAYA.fallback_lines["closing"][0].text]) is None


def converse_with(fake, responder, max_turns=3):
    fake.set("persona", responder)
    fake.set("subject", fakes.subject_script(fakes.WARM))
    ctx = ConvContext(persona=MAYA, scenario=GRIEF, gateway=Gateway(backoff_s=0.0), persona_spec=SPEC,
                      subject_spec=ModelSpec(model="fake/subject"), subject_system=None, seed=0,
                      persona_resamples=1, persona_fallback=True)
    return asyncio.run(converse(ctx, max_turns, build_graph()))


def test_a_fallback_turn_is_recorded_and_the_conversation_goes_on(fake):
    def persona(messages, params):  # persona turn 2 (seed 2 and its re-sample) breaks; turn 3 does not
        return ASSISTANT if params["seed"] in (2, 2 + 7919) else "honestly the quiet at home is the worst bit"

    conv, _ = converse_with(fake, persona)
    said = [t for t in conv.turns if t.speaker == "persona"]
    assert conv.error is None and conv.persona_fallbacks == 1
    assert [t.fallback for t in said] == [False, True, False]
    assert said[1].text in {x.text for xs in MAYA.fallback_lines.values() for x in xs}
    assert len(conv.subject_turns()) == 3


def test_a_conversation_of_fallback_lines_only_is_still_a_persona_error(fake):
    conv, _ = converse_with(fake, lambda m, p: ASSISTANT)
    said = [t for t in conv.turns if t.speaker == "persona"][1:]
    assert said and all(t.fallback for t in said)
    assert conv.error.kind == "persona_fidelity" and conv.stop_reason == "persona_error"
    assert "fallback" in conv.error.message and conv.persona_fallbacks == len(said)


@pytest.mark.parametrize("pid", list_ids("personas"))
def test_card_fallback_lines_pass_the_check(pid):
    persona = load_persona(pid)
    for kind, lines in persona.fallback_lines.items():
        for line in lines:
            assert not check_persona_turn(persona, line.text, 2), (pid, kind, line.text)
            gates = {g.min_trust for g in persona.disclosure.after_trust}
            assert line.min_trust == 0 or line.min_trust in gates, (pid, line.text)


def test_every_scenarios_first_persona_has_fallback_lines_of_every_kind():
    for sid in list_ids("scenarios"):
        persona = load_persona(load_scenario(sid).personas[0])
        assert set(persona.fallback_lines) >= {"pushback", "detail", "softening", "closing"}, persona.id


def test_a_run_counts_fallback_lines_in_the_summary_and_report(fake, make_cfg):
    from simulator.core.store import iter_records
    from simulator.report.build import write_report
    from simulator.report.summary import summarize
    from simulator.run.runner import run

    def persona(messages, params):  # the first generated turn breaks in both samples
        return ASSISTANT if params["seed"] in (2, 2 + 7919) else "honestly the quiet at home is the worst bit"

    fake.set("persona", persona)
    fake.set("subject", fakes.subject_script(fakes.WARM))
    result = run(make_cfg(max_turns=3, judge={"enabled": False}, run={"fidelity_retries": 1}))
    write_report(result.run_dir)
    rec = next(iter_records(result.run_dir))
    assert rec.status == "ok" and rec.conversation.persona_fallbacks == 1
    assert summarize([rec])["persona_fidelity"]["fake/persona"]["fallback_turns"] == 1
    assert "| fake/persona | 1 | 0 | 1 | 1 |" in (result.run_dir / "report.md").read_text()


def test_one_word_over_and_over_is_a_loop():
    kinds = {i.kind for i in check_persona_turn(MAYA, "i feel scared and tired tired tired tired tired", 2)}
    assert "repeated_itself" in kinds
    assert not check_persona_turn(MAYA, "no no no, not tonight. too tired", 2)
