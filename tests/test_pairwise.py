"""Pairwise mode: both orders, position bias becomes ties, length is reported."""

import asyncio
import json

import fakes
from judges.llm_judges.pairwise import combine, pairwise_async
from judges.llm_judges.rubric import load_rubric
from simulator.llm.call import Gateway
from simulator.core.records import CRITERIA, ModelSpec
from simulator.run.runner import run


def make_runs(fake, make_cfg):
    fake.set("persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "yeah"]))
    fake.set("judge", fakes.judge_json({c: 3 for c in CRITERIA}))
    fake.set("warm", fakes.subject_script(fakes.WARM))
    fake.set("cold", fakes.subject_script(fakes.COLD))
    dirs = []
    for name in ("warm", "cold"):
        cfg = make_cfg(seeds=[0, 1], models={"persona": {"model": "fake/persona"}, "subject": {"model": f"fake/{name}"},
                                            "judge": {"model": "fake/judge"}}, run={"name": name})
        dirs.append(run(cfg).run_dir)
    return dirs


def fair_judge(messages, params):
    """Picks the conversation whose subject never says 'professional' — whatever its position."""
    prompt = messages[-1]["content"]
    one = prompt.split("<conversation_1>")[1].split("</conversation_1>")[0]
    pick = "2" if "professional" in one else "1"
    return json.dumps({c: pick for c in CRITERIA})


def test_combine_requires_agreement_across_orders():
    assert combine({"a": "1"}, {"a": "2"}) == {"a": "A"}   # A first wins, A second wins
    assert combine({"a": "1"}, {"a": "1"}) == {"a": "tie"}  # always the first position: bias
    assert combine({"a": "tie"}, {"a": "tie"}) == {"a": "tie"}


def test_pairwise_win_rates_and_length(fake, make_cfg):
    warm_dir, cold_dir = make_runs(fake, make_cfg)
    fake.set("pair", fair_judge)
    report = asyncio.run(pairwise_async(warm_dir, cold_dir, ModelSpec(model="fake/pair"), Gateway(), "relational_empathy"))
    assert report["pairs"] == 2 and report["errors"] == 0
    assert report["A"] == "fake/warm" and report["B"] == "fake/cold"
    assert all(report["win_rates"][c]["A"] == 1.0 for c in CRITERIA)
    calls = [m for m, *_ in fake.calls if m == "pair"]
    assert len(calls) == 4  # two pairs, both orders
    # the warm replies are longer, and they won every time
    assert report["longer_side_won_share"] == 1.0
    assert report["length_matched"]["pairs"] == 0


def test_position_biased_judge_yields_only_ties(fake, make_cfg):
    warm_dir, cold_dir = make_runs(fake, make_cfg)
    fake.set("pair", lambda m, p: json.dumps({c: "1" for c in CRITERIA}))
    report = asyncio.run(pairwise_async(warm_dir, cold_dir, ModelSpec(model="fake/pair"), Gateway(), "relational_empathy"))
    assert all(report["win_rates"][c]["tie"] == 1.0 for c in CRITERIA)


def test_garbage_pair_verdict_is_an_error_not_a_tie(fake, make_cfg):
    warm_dir, cold_dir = make_runs(fake, make_cfg)
    fake.set("pair", lambda m, p: "no idea")
    report = asyncio.run(pairwise_async(warm_dir, cold_dir, ModelSpec(model="fake/pair"), Gateway(), "relational_empathy"))
    assert report["errors"] == 2 and report["pairs"] == 0
