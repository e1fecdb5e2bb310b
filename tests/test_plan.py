"""`empathy-sim plan`: the forecast's arithmetic on small sweeps, numbers worked out by hand."""

import json
import math

import pytest

from simulator.cli.main import main
from simulator.run.config import plan
from simulator.run.estimate import ConversationEstimate, RoleCalls, estimate_key
from simulator.run.forecast import job_bounds, makespan, price
from simulator.core.records import ModelSpec

OPENING = "can't sleep again. everyone keeps saying i'm 'doing so well' lol"  # the card's scripted line


def _est(cfg):
    return estimate_key(cfg, plan(cfg)[0])


def test_calls_and_tokens_of_one_conversation(make_cfg):
    # 4 replies; maya's scenario opens with its scripted line, so 3 persona calls; replies use
    # their whole max_tokens (50); the probability judge asks the rubric's 9 questions per reply
    # (rubric 4: two choice probes, each in both orders) and, at the one tension beat (persona
    # turn 4), both orders of the A/B question: 4*9 + 2
    cfg = make_cfg(max_turns=4, judge={"method": "prob"})
    est = _est(cfg)
    assert {r: (c.calls, c.completion_tokens) for r, c in est.roles.items()} == {
        "persona": (3, 150), "subject": (4, 200), "judge": (38, 38)}
    assert est.chain == {"persona": 3, "subject": 4, "judge": 38} and est.calls == 45
    # subject reply i sees the opening, then i-1 persona lines and i-1 replies of 50 tokens
    # (200 characters each): characters // 4 + 4 per message, no system prompt
    by_hand = sum((len(OPENING) + (i - 1) * 200 * 2) // 4 + 4 * (1 + 2 * (i - 1)) for i in range(1, 5))
    assert est.roles["subject"].prompt_tokens == by_hand


def test_fill_appraisal_structured_judge_and_panel(make_cfg):
    cfg = make_cfg(max_turns=3, persona_appraisal="llm", judge={"panel": ["fake/judge2"]})
    est = estimate_key(cfg, plan(cfg)[0], fill=0.5)
    # persona: 2 lines of 25 tokens and 3 appraisals of 160; one structured call per judge (500)
    assert {r: (c.model, c.calls, c.completion_tokens) for r, c in est.roles.items()} == {
        "persona": ("fake/persona", 5, 2 * 25 + 3 * 160), "subject": ("fake/subject", 3, 75),
        "judge": ("fake/judge", 1, 500), "judge1": ("fake/judge2", 1, 500)}
    assert est.chain == {"persona": 5, "subject": 3, "judge": 1}  # panel judges run side by side


def test_makespan():
    assert makespan([5.0] * 5, 2, in_order=True) == 15.0  # 3 waves
    assert makespan([3, 3, 2, 2, 2], 2) == 7.0             # longest first: 3+2+2 | 3+2
    assert makespan([1, 1, 4], 2, in_order=True) == 5.0     # in order: 1+4 | 1
    assert makespan([], 4) == 0.0


def _conv(model_calls: dict[str, tuple[str, int, int]]) -> ConversationEstimate:
    roles = {r: RoleCalls(model=m, calls=n, prompt_tokens=tok, completion_tokens=0)
             for r, (m, n, tok) in model_calls.items()}
    return ConversationEstimate(roles=roles, chain={r: n for r, (_, n, _) in model_calls.items()})


def test_bounds_of_a_small_sweep_by_hand():
    specs = {"persona": ModelSpec(model="openai/p"), "subject": ModelSpec(model="openai/p"),
             "judge": ModelSpec(model="openai/j")}
    # 5 conversations: 2 persona + 3 subject calls on one endpoint (400 + 600 tokens), 1 judge call (500)
    convs = [_conv({"persona": ("openai/p", 2, 400), "subject": ("openai/p", 3, 600),
                    "judge": ("openai/j", 1, 500)})] * 5
    b = {x.name: x.seconds for x in job_bounds(
        convs, specs, latency_s={"default": 1.0, "judge": 2.0}, concurrency=2, max_in_flight=4,
        tokens_per_minute=1200, processes=2, client_cpu_ms=100.0)}
    # a conversation: 5 calls x (1 + 0.1 + w) + 1 x (2 + 0.1 + w) = 7.6 + 6w s; 3 waves of 2, so
    # wall = 22.8 + 18w. w is each call's wait for the event loop (M/D/1): 0.1 rho / (2 (1 - rho)),
    # the loop busy rho = 30 calls x 0.1 s / 2 processes / wall. Substituting, 18w² + 21.3w - 0.075 = 0
    w = (-21.3 + math.sqrt(21.3 ** 2 + 4 * 18 * 0.075)) / (2 * 18)
    assert b["concurrency 2"] == pytest.approx(22.8 + 18 * w) == pytest.approx(22.8632, abs=1e-4)
    # 25 calls x (1 + 0.1) s on openai/p, 4 at a time; 5 x (2 + 0.1) s on openai/j
    assert b["in flight 4 on openai/p"] == pytest.approx(6.875)
    assert b["in flight 4 on openai/j"] == pytest.approx(2.625)
    # 5000 tokens on openai/p, a full bucket of 1200 first, then 20 a second: 190 s; 2500 on j: 65 s
    assert b["1,200 tokens/min on openai/p"] == pytest.approx(190.0)
    assert b["1,200 tokens/min on openai/j"] == pytest.approx(65.0)
    assert b["client CPU (2 processes)"] == pytest.approx(30 * 0.1 / 2)


def test_embedded_model_serves_one_call_at_a_time_and_has_no_quota():
    spec = ModelSpec(model="local/qwen2.5-1.5b")
    convs = [_conv({"persona": (spec.model, 2, 10), "subject": (spec.model, 3, 10)})] * 3
    b = {x.name: x.seconds for x in job_bounds(
        convs, {"persona": spec, "subject": spec}, latency_s={"default": 2.0}, concurrency=4,
        max_in_flight=8, tokens_per_minute=1, processes=1, client_cpu_ms=7.0)}
    assert b == {"concurrency 4": pytest.approx(5 * 2.007), "in flight 1 on local/qwen2.5-1.5b": 30.0}


def test_price_from_litellm_table():
    import litellm

    unit = litellm.model_cost["gpt-4o-mini"]
    assert price("openai/gpt-4o-mini", 1000, 100) == pytest.approx(
        1000 * unit["input_cost_per_token"] + 100 * unit["output_cost_per_token"])
    assert price("local/qwen2.5-1.5b", 10**6, 10**6) == 0.0
    assert price("openai/no-such-model-xyz", 10, 10) is None


def test_plan_command_on_a_small_sweep(capsys):
    args = ["plan", "-m", "persona=maya_grieving_daughter", "scenario=grief_missed_last_call", "max_turns=3",
            "seeds=[0],[0,1,2]", "models.subject.model=openai/gpt-4o-mini", "models.persona.model=openai/gpt-4o-mini",
            "models.judge.model=openai/gpt-4o-mini", "run.concurrency=2", "--latency-s", "2", "--client-cpu-ms",
            "0", "--workers", "2", "--json"]
    main(args)
    out = json.loads(capsys.readouterr().out)
    jobs = {j["job"]: j for j in out["jobs"]}
    assert set(jobs) == {"seeds=[0]", "seeds=[0,1,2]"}
    one, three = jobs["seeds=[0]"], jobs["seeds=[0,1,2]"]
    assert (one["conversations"], three["conversations"]) == (1, 3)
    # per conversation 2 persona + 3 subject + 1 structured judge call, 2 s each, one after another
    calls = {r["role"]: r["calls"] for r in three["roles"]}
    assert calls == {"persona": 6, "subject": 9, "judge": 3}
    walls = {j: max(b["seconds"] for b in jobs[j]["bounds"]) for j in jobs}
    assert walls == {"seeds=[0]": 12.0, "seeds=[0,1,2]": 24.0}  # 3 conversations, 2 at a time: 2 waves
    main(args[:-1])  # the table: two workers run both jobs side by side, so the longest sets the time
    text = capsys.readouterr().out
    assert "2 job(s), 4 conversation(s)" in text and "predicted wall time: 24.0 s with 2 worker(s)" in text


def test_plan_refuses_an_unknown_key(capsys):
    with pytest.raises(SystemExit):
        main(["plan", "run.concurency=2"])
    assert "run.concurrency" in capsys.readouterr().err


def test_latency_measured_in_a_finished_run(fake, make_cfg):
    import fakes
    from simulator.cli.plan import measured_latency
    from simulator.run.runner import run

    from simulator.core.records import CRITERIA

    fake.set("persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "yeah"]), delay_s=0.02)
    fake.set("subject", fakes.subject_script(fakes.WARM), delay_s=0.2)
    fake.set("judge", fakes.judge_json({c: 4 for c in CRITERIA}), delay_s=0.5)
    result = run(make_cfg(seeds=[0, 1]))
    lat = measured_latency(str(result.run_dir))
    # each role's mean is at least the fake's delay; the scripted opening (no call) is not counted as one
    assert set(lat) == {"persona", "subject", "judge"}
    assert lat["persona"] >= 0.02 and lat["subject"] >= 0.2 and lat["judge"] >= 0.5
    assert lat["persona"] < lat["subject"] < lat["judge"]
