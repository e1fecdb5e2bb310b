"""The scorer seam: every scorer satisfies one protocol; run and re-scoring share one scoring step."""

import asyncio
import dataclasses
import json

import fakes
import orjson
import pytest
from judges.instruments.conversation import FAMILIES, run_instruments
from judges.llm_judges.methods import RubricJudge
from judges.llm_judges.pairwise import PairwiseJudge
from judges.llm_judges.rubric import load_rubric
from judges.seam import FinishedConversation, Scorer, score_all
from simulator.core.card_loader import load_persona, load_scenario
from simulator.core.records import CRITERIA, Conversation, ModelSpec, Turn
from simulator.llm.call import Gateway
from simulator.run.scoring import instrument_scorers, judge_scorers, score_conversation

ALL_THREES = {c: 3 for c in CRITERIA}


def finished(subject_lines, seed=0):
    turns = []
    for i, line in enumerate(subject_lines):
        turns += [Turn(index=2 * i, speaker="persona", text="I keep replaying the call I missed. I feel awful."),
                  Turn(index=2 * i + 1, speaker="subject", text=line)]
    return FinishedConversation(persona=load_persona("maya_grieving_daughter"),
                                scenario=load_scenario("grief_missed_last_call"),
                                conversation=Conversation(turns=turns), seed=seed, subject_model="fake/subject")


def test_every_scorer_satisfies_the_protocol():
    item = finished(fakes.WARM[:1])
    rubric = load_rubric()
    scorers = [*FAMILIES, RubricJudge(Gateway(), ModelSpec(model="fake/judge")),
               PairwiseJudge(Gateway(), ModelSpec(model="fake/pair"), rubric, reference=item)]
    for s in scorers:
        assert isinstance(s, Scorer), s
    assert len({s.name for s in scorers}) == len(scorers)


def test_instrument_families_through_the_seam_equal_run_instruments():
    item = finished(fakes.WARM[:3] + fakes.COLD[:1])
    scored = asyncio.run(score_conversation(item, instrument_scorers()))
    assert scored.error is None and scored.verdicts == []
    direct = run_instruments(item.conversation, item.scenario, item.trajectory)
    assert scored.instruments == direct
    assert [r["turn"] for r in direct["per_turn"]] == [1, 3, 5, 7]
    # the cold reply is the flattest: its own affect reading is below the warm ones'
    own = [r["reply_intensity"] for r in direct["per_turn"]]
    assert own[3] < max(own[:3])


def test_a_failing_family_is_that_scorer_error_and_the_others_still_score():
    def boom(reply):
        raise KeyError("lexicon row")

    broken = dataclasses.replace(FAMILIES[0], per_reply=boom)
    results = asyncio.run(score_all([broken, FAMILIES[1]], finished(fakes.WARM[:2])))
    assert not results["intensity"].ok and results["intensity"].error.kind == "instrument_error"
    assert "intensity" in results["intensity"].error.message and "lexicon row" in results["intensity"].error.message
    assert results["granularity"].ok and len(results["granularity"].per_turn) == 2


def test_duplicate_scorer_names_are_refused():
    with pytest.raises(ValueError, match="share a name"):
        asyncio.run(score_all([FAMILIES[0], FAMILIES[0]], finished(["hi"])))


def test_judge_scorer_goes_through_the_call_site_and_keeps_the_error_kind(fake):
    fake.set("judge", fakes.judge_json(ALL_THREES))
    item = finished(fakes.WARM[:2])
    (good,) = judge_scorers(Gateway(backoff_s=0.0), [ModelSpec(model="fake/judge")], method="structured")
    res = asyncio.run(good.score(item))
    assert res.kind == "judge" and res.ok and res.verdict.scores["cognitive"].score == 3
    assert any(m == "judge" for m, *_ in fake.calls)
    fake.set("judge", lambda m, p: "not json at all")
    res = asyncio.run(good.score(item))
    assert not res.ok and res.verdict.status == "error" and res.verdict.error.kind


def test_pairwise_scorer_compares_against_its_reference_and_keeps_error_kinds(fake):
    def fair(messages, params):  # prefers whichever conversation never says "professional"
        one = messages[-1]["content"].split("<conversation_1>")[1].split("</conversation_1>")[0]
        return json.dumps({c: "2" if "professional" in one else "1" for c in CRITERIA})

    fake.set("pair", fair)
    warm, cold = finished(fakes.WARM[:2]), finished(fakes.COLD[:2])
    scorer = PairwiseJudge(Gateway(backoff_s=0.0), ModelSpec(model="fake/pair"), load_rubric(), reference=cold)
    res = asyncio.run(scorer.score(warm))
    assert res.ok and set(res.comparison.values()) == {"a"}
    fake.set("pair", lambda m, p: "garbage")
    res = asyncio.run(scorer.score(warm))
    assert not res.ok and res.error.kind == "judge_parse" and res.comparison == {}


def test_rejudge_uses_the_run_bounds_through_the_one_gateway_builder(fake, make_cfg):
    from simulator.run.rescore import gateway_for_run
    from simulator.run.runner import run

    fake.set("persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "ok"]))
    fake.set("subject", fakes.subject_script(fakes.WARM))
    fake.set("judge", fakes.judge_json(ALL_THREES))
    cfg = make_cfg(run={"max_in_flight_per_model": 3, "retries": 1, "tokens_per_minute_per_model": 9000,
                        "max_tokens_budget": 123456, "cache": True})
    result = run(cfg)
    g = gateway_for_run(result.run_dir)
    assert (g.max_in_flight, g.retries, g.tokens_per_minute, g.budget.max_tokens) == (3, 1, 9000, 123456)
    assert g.cache is not None
    assert gateway_for_run(result.run_dir, no_cache=True).cache is None
    manifest = orjson.loads((result.run_dir / "manifest.json").read_bytes())
    assert manifest["config"]["run"]["max_in_flight_per_model"] == 3


def test_the_help_pointer_is_an_instrument_reading_the_report_only_reads():
    from simulator.core.records import RunKey, RunRecord
    from simulator.report.analysis import first_help_reply

    item = finished([fakes.WARM[0], "Have you thought about talking to a therapist or a crisis line?"])
    inst = run_instruments(item.conversation, item.scenario)
    assert [r["points_to_help"] for r in inst["per_turn"]] == [False, True]
    key = RunKey(persona=item.persona.id, scenario=item.scenario.id, subject="fake/subject", seed=0)

    def record(instruments):
        return RunRecord(record_id=key.record_id(), key=key, status="ok", persona=item.persona,
                         scenario=item.scenario, models={}, conversation=item.conversation, instruments=instruments,
                         config_hash="t", code_version="t", created_at="2026-01-01T00:00:00+00:00")

    assert first_help_reply(record(inst)) == 2
    assert first_help_reply(record({})) is None  # no reading, no guess from the text at report time
