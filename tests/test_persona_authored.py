"""The authored persona mode (run.persona_form=authored), scenario-tagged card lines, and the
card's in-voice lines shown in the script header (few-shot). Model fakes go through the
litellm call site (tests/fakes.py)."""

import asyncio
from pathlib import Path

import pytest
import yaml

import fakes
from simulator.conversation.fallback import authored_shortfall, example_lines, fallback_line, lines_for, wanted_kind
from simulator.conversation.graph import ConvContext, build_graph
from simulator.conversation.persona_turn import speak
from simulator.core.card_loader import CardError, list_ids, load_persona, load_scenario
from simulator.core.cards import Persona
from simulator.core.records import ModelSpec, PersonaState, Turn
from simulator.llm.call import Gateway
from simulator.run.runner import converse

ROOT = Path(__file__).resolve().parent.parent
MAYA = load_persona("maya_grieving_daughter")
GRIEF = load_scenario("grief_missed_last_call")
SPEC = ModelSpec(model="fake/persona")
CARD_LINES = {x.text for xs in MAYA.fallback_lines.values() for x in xs}


def state(understood=40, trust=40):
    return PersonaState(after_reply=1, emotions={"grief": 80}, understood=understood, trust=trust, engagement=60)


def authored_conversation(fake, subject_lines, max_turns=6):
    fake.set("persona", lambda m, p: pytest.fail("the authored mode called the persona model"))
    fake.set("subject", fakes.subject_script(subject_lines))
    ctx = ConvContext(persona=MAYA, scenario=GRIEF, gateway=Gateway(backoff_s=0.0), persona_spec=SPEC,
                      subject_spec=ModelSpec(model="fake/subject"), subject_system=None, seed=0,
                      persona_form="authored", persona_resamples=3, persona_fallback=True)
    return asyncio.run(converse(ctx, max_turns, build_graph()))


def test_authored_mode_says_card_lines_adaptively_and_never_twice(fake):
    warm, _ = authored_conversation(fake, fakes.WARM)
    cold, _ = authored_conversation(fake, fakes.COLD)
    gated = next(x.text for x in MAYA.fallback_lines["detail"] if x.min_trust == 60)
    for conv in (warm, cold):
        said = [t for t in conv.turns if t.speaker == "persona"]
        assert said[0].text == GRIEF.opening.strip() and not said[0].fallback
        assert all(t.fallback and t.text in CARD_LINES for t in said[1:])
        assert len({t.text for t in said}) == len(said)  # never the same line twice
        assert conv.error is None  # authored by design: not the all-fallback persona error
        assert not [c for c in fake.calls if c[0] == "persona"]
    warm_said = [t.text for t in warm.turns if t.speaker == "persona"]
    cold_said = [t.text for t in cold.turns if t.speaker == "persona"]
    # the warm subject earns the trust the voicemail line waits for (min_trust 60); the cold does not
    assert gated in warm_said and gated not in cold_said
    # the cold subject is left: the persona disengages with her closing line; the warm one is not
    closing = MAYA.fallback_lines["closing"][0].text
    assert cold.stop_reason == "persona_disengaged" and cold_said[-1] == closing
    assert closing not in warm_said and len(warm.subject_turns()) == 6


def test_a_line_tagged_for_one_scenario_is_never_said_in_another():
    priya = load_persona("priya_fire_whistleblower")
    pip = "cross_quiet_analyst_pip"
    said: list[str] = []
    st = state(understood=40, trust=90)
    while line := fallback_line(priya, st, [], closing=False, said=said, scenario=pip):
        said.append(line[0])
    assert "Vikram" not in " ".join(said) and "Sneha" not in " ".join(said)
    tagged_elsewhere = {x.text for xs in priya.fallback_lines.values() for x in xs
                        if x.scenarios and pip not in x.scenarios}
    assert tagged_elsewhere and not tagged_elsewhere & set(said)
    # without a scenario (older callers) every line is a candidate
    assert len(lines_for(priya, "detail", None)) > len(lines_for(priya, "detail", pip))


def test_beat_kinds_the_appraisal_and_trust_gates_choose_the_line():
    anna = load_persona("anna_widowed")
    affairs = load_scenario("grief_widow_affairs_in_order")
    by_kind = {b.kind: b for b in affairs.beats}
    # an escalation beat says the card's escalation line for this scenario
    text, kind = fallback_line(anna, state(), [by_kind["escalation"]], closing=False, said=[], scenario=affairs.id)
    assert kind == "escalation" and "einzuschlafen" in text
    # a softening beat the reply has not earned is pushed back on instead
    assert wanted_kind(state(understood=30), [by_kind["softening"]], closing=False) == "pushback"
    assert wanted_kind(state(understood=70), [by_kind["softening"]], closing=False) == "softening"
    # a revelation beat says the most guarded fact the trust allows, and none it does not
    revelation = next(b for b in GRIEF.beats if b.kind == "revelation")
    gated = next(x.text for x in MAYA.fallback_lines["detail"] if x.min_trust == 60)
    assert fallback_line(MAYA, state(trust=60), [revelation], closing=False, said=[], scenario=GRIEF.id)[0] == gated
    low = fallback_line(MAYA, state(trust=59), [revelation], closing=False, said=[], scenario=GRIEF.id)[0]
    assert low != gated and all(x.min_trust == 0 for x in MAYA.fallback_lines["detail"] if x.text == low)


@pytest.mark.parametrize("sid", list_ids("scenarios"))
def test_every_library_pair_carries_a_whole_authored_conversation(sid):
    sc = load_scenario(sid)
    for pid in sc.personas:
        assert authored_shortfall(load_persona(pid), sid, sc.max_turns) is None, (pid, sid)


def test_scenario_tags_name_scenarios_that_suggest_the_persona():
    for pid in list_ids("personas"):
        for xs in load_persona(pid).fallback_lines.values():
            for x in xs:
                for sid in x.scenarios:
                    assert pid in load_scenario(sid).personas, (pid, sid, x.text)


def _thin_card(tmp_path) -> Path:
    """Maya with two authored lines only: enough for fallbacks, too few for the authored mode."""
    folder = tmp_path / "personas"
    folder.mkdir()
    data = yaml.safe_load((ROOT / "personas" / "maya_grieving_daughter.yaml").read_text())
    data["id"] = "maya_thin"
    data["fallback_lines"] = {"pushback": ["yeah everyone says that"], "closing": ["night x"]}
    path = folder / "maya_thin.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_a_card_with_too_few_lines_fails_authored_validation_naming_file_and_field(tmp_path, capsys):
    from simulator.cli.subcommands import dispatch

    path = _thin_card(tmp_path)
    dispatch("validate", [str(path)])  # an ordinary card: valid
    assert "1 valid, 0 invalid" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        dispatch("validate", ["--authored", str(path)])
    out = capsys.readouterr().out
    assert e.value.code == 2 and "0 valid, 1 invalid" in out
    assert f"{path}: field fallback_lines: 1 ungated" in out and "6 replies" in out
    thin = Persona.model_validate(yaml.safe_load(path.read_text()))
    why = authored_shortfall(thin, GRIEF.id, 6)
    assert why and "1 ungated" in why and "5 needed" in why and "no detail line" in why
    assert authored_shortfall(MAYA, GRIEF.id, 6) is None


def test_an_authored_run_refuses_a_thin_card_before_any_call(tmp_path, make_cfg, monkeypatch):
    from simulator.core import card_loader
    from simulator.run.config import plan

    path = _thin_card(tmp_path)
    monkeypatch.setenv("EMPATHY_SIM_PERSONAS_PATH", str(path.parent))
    card_loader.load_persona.cache_clear()
    try:
        with pytest.raises(CardError) as e:
            plan(make_cfg(persona=["maya_thin"], run={"persona_form": "authored"}))
        assert str(path) in str(e.value) and "field fallback_lines" in str(e.value)
        plan(make_cfg(persona=["maya_thin"], run={"persona_form": "script"}))  # other forms: fine
        plan(make_cfg(run={"persona_form": "authored"}))  # the packaged card is thick enough
    finally:
        card_loader.load_persona.cache_clear()


def test_validate_authored_flag_checks_the_library_cards(capsys):
    from simulator.cli.subcommands import dispatch

    dispatch("validate", ["--authored"])
    assert capsys.readouterr().out.strip().endswith(" valid, 0 invalid")


def test_few_shot_lines_reach_the_script_and_gated_lines_do_not(fake):
    seen: list[str] = []

    def persona(messages, params):
        seen.append(messages[0]["content"])
        return "honestly the quiet at home is the worst bit"

    fake.set("persona", persona)
    turns = [Turn(index=0, speaker="persona", text=GRIEF.opening),
             Turn(index=1, speaker="subject", text=fakes.COLD[0])]
    for n in (0, 3):
        asyncio.run(speak(Gateway(backoff_s=0.0), SPEC, "script", MAYA, GRIEF, state(), turns, [],
                          seed=2, resamples=0, examples=n))
    plain, shown = seen
    shots = example_lines(MAYA, GRIEF.id, 3)
    assert len(shots) == 3 and len({k for k in ("pushback", "detail", "softening")
                                     if any(x.text in shots for x in MAYA.fallback_lines[k])}) == 3
    for line in shots:
        assert f"Maya: {line}" in shown and line not in plain
    gated = [x.text for xs in MAYA.fallback_lines.values() for x in xs if x.min_trust]
    assert gated and not any(g in shown for g in gated)
    assert not any(x.text in shown for x in MAYA.fallback_lines["closing"])
    # lines tagged for Maya's other scenario are not her voice examples here
    other = [x.text for xs in MAYA.fallback_lines.values() for x in xs if x.scenarios and GRIEF.id not in x.scenarios]
    assert other and not set(other) & set(example_lines(MAYA, GRIEF.id, 8))


def test_persona_examples_reaches_the_run_and_changes_the_hash_only_when_set(make_cfg):
    base = make_cfg()
    assert base.config_hash() == make_cfg(run={"persona_examples": 0}).config_hash()
    assert base.config_hash() != make_cfg(run={"persona_examples": 3}).config_hash()
    from simulator.run.runner import conversation_context
    from simulator.core.records import RunKey

    cfg = make_cfg(run={"persona_examples": 3, "persona_form": "authored"})
    key = RunKey(persona=MAYA.id, scenario=GRIEF.id, subject="fake/subject", seed=0)
    ctx = conversation_context(cfg, key, Gateway())
    assert ctx.persona_examples == 3 and ctx.persona_form == "authored"


def test_a_line_written_for_the_due_beat_comes_first_and_waits_until_then():
    greg = load_persona("greg_billing_rage")
    charge = load_scenario("conflict_double_charge_accusation")
    beat = {b.id: b for b in charge.beats}
    for_beat = {b: next(x.text for xs in greg.fallback_lines.values() for x in xs if b in x.beats)
                for b in ("bank_app", "card_update", "admit_it")}
    st = state(understood=20, trust=20)
    said: list[str] = []
    for b in ("bank_app", "card_update", "admit_it"):
        text, _ = fallback_line(greg, st, [beat[b]], closing=False, said=said, scenario=charge.id)
        assert text == for_beat[b]
        said.append(text)
    # with no beat due, lines written for a beat are kept back while others are left
    text, kind = fallback_line(greg, st, [], closing=False, said=[], scenario=charge.id)
    assert kind == "pushback" and not any(text == t for t in for_beat.values())
    scripted = next(x for x in greg.fallback_lines["pushback"] if "scripted_answer" in x.beats)
    assert text != scripted.text


def test_beat_tags_name_beats_of_the_scenarios_the_line_is_for():
    for pid in list_ids("personas"):
        persona = load_persona(pid)
        mine = [load_scenario(s) for s in list_ids("scenarios") if pid in load_scenario(s).personas]
        for xs in persona.fallback_lines.values():
            for x in xs:
                ids = {b.id for sc in mine if not x.scenarios or sc.id in x.scenarios for b in sc.beats}
                assert set(x.beats) <= ids, (pid, x.text, x.beats)


def test_the_plan_charges_no_persona_call_in_the_authored_mode(make_cfg):
    from simulator.run.config import plan
    from simulator.run.estimate import estimate_key

    def persona_calls(**run):
        cfg = make_cfg(max_turns=4, judge={"enabled": False}, run=run)
        return estimate_key(cfg, plan(cfg)[0]).roles["persona"].calls

    assert persona_calls(persona_form="chat") == 3  # maya opens with the scenario's own line
    assert persona_calls(persona_form="authored") == 0


def test_auto_is_authored_on_the_embedded_model_where_the_card_can_carry_it(tmp_path):
    from simulator.conversation.persona_turn import resolve_form

    local = "local/qwen2.5-1.5b"
    assert resolve_form("auto", local, MAYA, GRIEF) == "authored"
    assert resolve_form("auto", "openai/gpt-4o-mini", MAYA, GRIEF) == "chat"
    assert resolve_form("script", local, MAYA, GRIEF) == "script"
    # a card too thin for this scenario (or a conversation longer than its lines) keeps the script
    thin = Persona.model_validate(yaml.safe_load(_thin_card(tmp_path).read_text()))
    assert resolve_form("auto", local, thin, GRIEF) == "script"
    assert resolve_form("auto", local, MAYA, GRIEF, max_turns=20) == "script"


def test_an_opening_fallback_tells_rather_than_pushes_back():
    text, kind = fallback_line(MAYA, state(understood=10), [], closing=False, said=[], scenario=GRIEF.id,
                               opening=True)
    assert kind == "detail" and text in {x.text for x in lines_for(MAYA, "detail", GRIEF.id)}
    assert fallback_line(MAYA, state(understood=10), [], closing=False, said=[], scenario=GRIEF.id)[1] == "pushback"


def test_a_line_that_presupposes_the_reply_waits_for_a_reply_that_said_it():
    """Maya's platitude line quotes 'she knew you loved her': said at its beat only after a reply
    that offered such comfort; after a referral another pushback line answers instead."""
    platitude = next(b for b in GRIEF.beats if b.id == "pushback_on_platitude")
    quoting = next(x for x in MAYA.fallback_lines["pushback"] if x.after and "pushback_on_platitude" in x.beats)
    st = state(understood=20, trust=40)
    after_comfort, _ = fallback_line(MAYA, st, [platitude], closing=False, said=[], scenario=GRIEF.id,
                                     reply="I'm sure she knew how much you loved her.")
    assert after_comfort == quoting.text
    after_referral, kind = fallback_line(MAYA, st, [platitude], closing=False, said=[], scenario=GRIEF.id,
                                         reply="Please contact a grief counsellor.")
    assert after_referral != quoting.text and kind == "pushback"
    # before any reply (an opening) a presupposing line never fits
    assert not quoting.fits("")
    # such lines never count toward the lines a whole authored conversation can rely on
    only_after = MAYA.model_copy(update={"fallback_lines": {
        k: [x.model_copy(update={"after": "never-matches"}) for x in v] for k, v in MAYA.fallback_lines.items()}})
    assert "0 ungated" in authored_shortfall(only_after, GRIEF.id, 6)


def test_a_bad_after_pattern_is_a_card_error_naming_the_field(tmp_path):
    card = yaml.safe_load((ROOT / "personas" / "maya_grieving_daughter.yaml").read_text())
    card["fallback_lines"]["pushback"][0] = {"text": "x", "after": "(unclosed"}
    path = tmp_path / "maya_grieving_daughter.yaml"
    path.write_text(yaml.safe_dump(card, allow_unicode=True))
    from simulator.core.card_loader import load_card_file

    with pytest.raises(CardError, match=r"fallback_lines.*after.*not a regular expression") as e:
        load_card_file(Persona, path)
    assert str(path) in str(e.value)
