"""The probability judge and the tension-point judge, through the real litellm call site.

Fakes answer with next-token distributions (tests/fakes.py judge_probs / choice_probs), so the
Gateway reads OpenAI-shaped logprobs exactly as it does from a remote provider or the embedded
model.
"""

import asyncio
import math

import pytest

import fakes
from judges.llm_judges.answers import Answer, AnswerError, read_yes_no
from judges.llm_judges.prob import conversation_roles, judge_conversation_prob, probe_messages
from judges.llm_judges.rubric import load_rubric
from judges.llm_judges.tension import checks, flip_stats, read_choice
from simulator.core.card_loader import load_persona, load_scenario
from simulator.llm.call import Gateway, ModelCallError
from simulator.core.records import CRITERIA, Conversation, ModelSpec, TensionVerdict, Turn

JUDGE = ModelSpec(model="fake/pjudge", temperature=0.0, max_tokens=5)


last_reply = fakes.judged_reply


# how each choice probe's healthy option begins (the words before its first placeholder)
HEALTHY_OPTIONS = tuple(p.healthy.split("{")[0] for c in load_rubric().criteria.values() for p in c.probes
                        if p.is_choice)


def warm_judge(messages: list[dict]) -> float:
    """Scripted: a reply with 'so sorry' is good on healthy-polarity questions (and matches the
    healthy option of a choice)."""
    warm = "so sorry" in last_reply(messages).lower()
    question = messages[-1]["content"]
    if "Answer A or B" in question:
        good = 0.9 if warm else 0.2
        return good if question.split("A:", 1)[1].lstrip().startswith(HEALTHY_OPTIONS) else 1 - good
    failure_q = "templated" in question or "simply take" in question
    return (0.1 if warm else 0.8) if failure_q else (0.9 if warm else 0.2)


def conversation(replies: list[str], beats: dict[int, list[str]] | None = None) -> Conversation:
    turns = []
    for i, r in enumerate(replies):
        turns.append(Turn(index=2 * i, speaker="persona", text=f"person line {i}", beats=(beats or {}).get(i, [])))
        turns.append(Turn(index=2 * i + 1, speaker="subject", text=r))
    return Conversation(turns=turns, stop_reason="max_turns")


def run(coro):
    return asyncio.run(coro)


def test_read_yes_no_sums_variants_and_normalises():
    top = [("Yes", math.log(0.5)), (" yes", math.log(0.1)), ("No", math.log(0.2)), ("The", math.log(0.2))]
    a = read_yes_no(top)
    assert a.p_yes == pytest.approx(0.6 / 0.8)
    assert a.mass == pytest.approx(0.8)
    with pytest.raises(AnswerError, match="no yes/no answer"):
        read_yes_no([("The", -0.1), ("I", -2.0)])


def test_confidence_is_one_minus_entropy():
    assert Answer(0.5, 1.0).confidence == pytest.approx(0.0, abs=1e-9)
    assert Answer(0.99, 1.0).confidence == pytest.approx(1 - 0.0808, abs=1e-3)
    assert Answer(0.01, 1.0).confidence == pytest.approx(Answer(0.99, 1.0).confidence)


def test_answer_is_read_at_the_first_position(fake):
    """The fake puts the opposite answer at every later position: reading any but the first
    would give P(yes) near 0 instead of 0.9."""
    fake.set("pjudge", fakes.judge_probs(lambda m: 0.9, positions=3))
    comp = run(Gateway().complete(JUDGE, [{"role": "user", "content": "q"}], role="judge", logprobs=5))
    assert read_yes_no(comp.top_logprobs).p_yes == pytest.approx(0.9, abs=1e-6)
    _, _, params = fake.calls[-1]
    assert params["logprobs"] is True and params["top_logprobs"] == 5 and params["max_tokens"] == 1


def test_missing_logprobs_fail_loudly_and_are_never_scored(fake):
    fake.set("pjudge", lambda messages, params: "Yes")  # text only: no distribution
    with pytest.raises(ModelCallError) as err:
        run(Gateway().complete(JUDGE, [{"role": "user", "content": "q"}], role="judge", logprobs=5))
    assert err.value.info.kind == "no_logprobs"
    persona, scenario = load_persona("maya_grieving_daughter"), load_scenario("grief_missed_last_call")
    v = run(judge_conversation_prob(Gateway(), JUDGE, persona, scenario, conversation(["I'm so sorry."])))
    assert v.status == "error" and v.error.kind == "no_logprobs" and not v.scores and not v.per_turn


def test_no_yes_no_at_the_answer_position_is_a_judge_error(fake):
    fake.set("pjudge", lambda messages, params: {"logprobs": [[("Sure", -0.1), ("The", -2.5)]]})
    persona, scenario = load_persona("maya_grieving_daughter"), load_scenario("grief_missed_last_call")
    v = run(judge_conversation_prob(Gateway(), JUDGE, persona, scenario, conversation(["I'm so sorry."])))
    assert v.status == "error" and v.error.kind == "answer_position"


def test_every_reply_scored_in_history_and_criteria_differ(fake):
    fake.set("pjudge", fakes.judge_probs(warm_judge))
    persona, scenario = load_persona("maya_grieving_daughter"), load_scenario("grief_missed_last_call")
    conv = conversation(["I'm so sorry, Maya. That voicemail sounds so heavy.",
                         "It is understandable. Consider consulting a professional."])
    v = run(judge_conversation_prob(Gateway(), JUDGE, persona, scenario, conv))
    assert v.status == "ok" and v.method == "prob", v.error
    assert [t.turn for t in v.per_turn] == [1, 3]
    warm, cold = v.per_turn
    assert set(warm.criteria) == set(CRITERIA)
    assert all(warm.criteria[c] > cold.criteria[c] for c in CRITERIA)
    assert warm.score > cold.score
    # the conversation score is the mean of the replies' values
    c = "granularity_mismatch"
    assert v.scores[c].value == pytest.approx((warm.criteria[c] + cold.criteria[c]) / 2, abs=1e-3)
    assert 0 <= v.scores[c].confidence <= 1
    # the second reply's questions saw the first reply as history, the first's did not see the second
    contexts = [m[0]["content"] for _, m, _ in fake.calls]
    assert any("consulting a professional" in c and "so sorry" in c for c in contexts)
    assert not any("consulting a professional" in c for c in contexts[: len(contexts) // 2])
    # each criterion has its own question; the shared context is the same message for all the
    # conversation-form criteria, and the exchange-form ones (rubric 5) share one of their own that
    # holds only the reply and the message it answers
    first_reply = [m for _, m, _ in fake.calls if "consulting a professional" not in m[0]["content"]]
    shared = {m[0]["content"] for m in first_reply}
    exchange = [c for c, crit in load_rubric().criteria.items() if crit.context == "exchange"]
    assert len(shared) == (2 if exchange else 1)
    if exchange:
        ex = next(c for c in shared if "The assistant replied:" in c)
        assert '"person line 0"' in ex and "so sorry" in ex and "About the person" not in ex
        second = {m[0]["content"] for _, m, _ in fake.calls if "consulting a professional" in m[0]["content"]
                  and "The assistant replied:" in m[0]["content"]}
        assert len(second) == 1 and "so sorry" not in next(iter(second))  # no earlier history in it
    roles = conversation_roles(persona)
    assert len({m[-1]["content"] for m in first_reply}) == sum(
        len(probe_messages(p, roles)) for c in load_rubric().criteria.values() for p in c.probes)
    # the questions name the speakers in plain words, with no placeholder left
    assert all("{" not in m[-1]["content"] and "assistant's reply" in m[-1]["content"] for m in first_reply)


def test_criteria_differ_when_the_judge_answers_differ(fake):
    """A judge whose questions get different answers gives different criterion scores."""
    def by_question(messages):
        q = messages[-1]["content"]
        return 0.95 if "feeling" in q else 0.3
    fake.set("pjudge", fakes.judge_probs(by_question))
    persona, scenario = load_persona("maya_grieving_daughter"), load_scenario("grief_missed_last_call")
    v = run(judge_conversation_prob(Gateway(), JUDGE, persona, scenario, conversation(["ok."])))
    assert len({round(s.number, 3) for s in v.scores.values()}) > 1


# ---------------------------------------------------------------- tension points and flips

def double_charge(replies: list[str]) -> Conversation:
    # persona turns cued with the scenario's beats: admit_it (correction), then scripted_answer (pushback)
    return conversation(replies, beats={1: ["admit_it"], 2: ["scripted_answer"]})


def caves(messages: list[dict]) -> float:
    """Scripted A/B judge: a reply that says "you're right" matches the failing version."""
    gives_in = "you're right" in last_reply(messages).lower()
    option_a = messages[-1]["content"].split("A:", 1)[1].split("\nB:", 1)[0].strip()
    a_is_healthy = option_a.startswith(("Does not write", "Stays steady"))  # the card's healthy texts
    return (0.1 if gives_in else 0.9) if a_is_healthy else (0.9 if gives_in else 0.1)


def test_tension_reply_is_the_one_after_the_beat():
    scenario = load_scenario("conflict_double_charge_accusation")
    conv = double_charge(["first", "no admission", "still pending", "later reply"])
    found = [(tp.beat, reply.index, push) for tp, reply, push in checks(scenario, conv)]
    # admit_it answered at turn 3; scripted_answer (a pushback) at turn 5, and later replies too
    assert found == [("admit_it", 3, False), ("scripted_answer", 5, True), ("scripted_answer", 7, True)]


def test_turn_of_flip_and_flips_from_the_judge(fake):
    fake.set("pjudge", _route(fakes.judge_probs(lambda m: 0.7), fakes.choice_probs(caves)))
    persona = load_persona("greg_billing_rage")
    scenario = load_scenario("conflict_double_charge_accusation")
    holds = double_charge(["I hear you.", "I can't write that, the pending line is a hold.",
                           "It's a hold, check the word pending.", "Billing can confirm."])
    v = run(judge_conversation_prob(Gateway(), JUDGE, persona, scenario, holds))
    assert v.status == "ok" and [t.gave_in for t in v.tension] == [False, False, False]
    assert v.turn_of_flip is None and v.flips == 0
    caving = double_charge(["I hear you.", "I can't write that, the pending line is a hold.",
                            "You're right, I apologise for the error.", "Billing can confirm."])
    v = run(judge_conversation_prob(Gateway(), JUDGE, persona, scenario, caving))
    assert [t.gave_in for t in v.tension] == [False, True, False]
    assert v.turn_of_flip == 5 and v.flips == 1
    assert all(0 <= t.p_healthy <= 1 for t in v.tension)


@pytest.mark.parametrize("form", ["plain", "tagged"])
def test_tension_forms_give_the_same_flips_and_plain_shares_the_yes_no_context(fake, form):
    from judges.llm_judges.tension import judge_tension_points

    fake.set("pjudge", _route(fakes.judge_probs(lambda m: 0.7), fakes.choice_probs(caves)))
    persona = load_persona("greg_billing_rage")
    scenario = load_scenario("conflict_double_charge_accusation")
    caving = double_charge(["I hear you.", "I can't write that, the pending line is a hold.",
                            "You're right, I apologise for the error.", "Billing can confirm."])
    verdicts, _ = run(judge_tension_points(Gateway(), JUDGE, persona, scenario, caving, form=form))
    assert [v.gave_in for v in verdicts] == [False, True, False]
    assert flip_stats(verdicts) == (5, 1)
    ab = [m for _, m, _ in fake.calls if "Answer A or B" in m[-1]["content"]]
    assert len(ab) == 2 * len(verdicts)
    if form == "tagged":
        assert all(m[0]["role"] == "system" and "SUBJECT's last reply" in m[-1]["content"] for m in ab)
        return
    # plain: no system prompt, and the very context message the yes/no judge asks its questions after
    fake.calls.clear()
    run(judge_conversation_prob(Gateway(), JUDGE, persona, scenario, caving))
    yes_no = {m[0]["content"] for _, m, _ in fake.calls if "Answer yes or no" in m[-1]["content"]}
    assert all(len(m) == 2 and m[0]["role"] == "user" and m[0]["content"] in yes_no for m in ab)
    assert all("assistant's last reply" in m[-1]["content"] for m in ab)


def test_both_orders_are_asked_so_position_bias_cancels(fake):
    """A judge that always prefers option A gives 0.5: the order cannot decide the verdict."""
    fake.set("pjudge", _route(fakes.judge_probs(lambda m: 0.7), fakes.choice_probs(lambda m: 0.9)))
    persona = load_persona("greg_billing_rage")
    scenario = load_scenario("conflict_double_charge_accusation")
    v = run(judge_conversation_prob(Gateway(), JUDGE, persona, scenario, double_charge(["a", "b", "c"])))
    assert all(t.p_healthy == pytest.approx(0.5) for t in v.tension)


def test_flip_stats_counts_changes_of_stance():
    def tv(turn, gave_in, pushback=True):
        return TensionVerdict(beat="b", due="disagreement", turn=turn, p_healthy=0.2 if gave_in else 0.8,
                              gave_in=gave_in, pushback=pushback)
    assert flip_stats([tv(3, False, False), tv(5, True), tv(7, False), tv(9, True)]) == (5, 2)
    assert flip_stats([tv(3, True, False), tv(5, True)]) == (5, 1)
    assert flip_stats([]) == (None, 0)
    with pytest.raises(AnswerError):
        read_choice([("C", -0.1)])


def _route(yes_no, ab):
    """One fake model that answers yes/no questions and A/B questions."""
    def respond(messages, params):
        return ab(messages, params) if "Answer A or B" in messages[-1]["content"] else yes_no(messages, params)
    return respond


def test_a_choice_probe_is_asked_in_both_orders_and_a_malformed_probe_is_refused(fake):
    from pydantic import ValidationError

    from judges.llm_judges.rubric import Probe

    for bad in ({}, {"ask": "q?", "healthy": "a", "failure": "b"}, {"healthy": "a"}):
        with pytest.raises(ValidationError, match="either a yes/no question"):
            Probe(**bad)
    # a judge that always answers A: both orders are asked, so the choice lands at 0.5 (score 3.0)
    fake.set("pjudge", fakes.judge_probs(lambda m: 0.9))
    persona, scenario = load_persona("maya_grieving_daughter"), load_scenario("grief_missed_last_call")
    v = run(judge_conversation_prob(Gateway(), JUDGE, persona, scenario, conversation(["I hear you."])))
    choice_criteria = [c for c, crit in load_rubric().criteria.items() if any(p.is_choice for p in crit.probes)]
    assert "conflict_avoidance" in choice_criteria and "linguistic_distancing" in choice_criteria  # rubric 4
    for c in choice_criteria:
        assert v.scores[c].value == pytest.approx(3.0, abs=1e-3), c
    choices = [m[-1]["content"] for _, m, _ in fake.calls if "Answer A or B" in m[-1]["content"]]
    assert len(choices) == 2 * len(choice_criteria) and len(set(choices)) == len(choices)
    assert v.scores["cognitive"].value == pytest.approx(1 + 4 * 0.9, abs=1e-3)  # yes/no probes read P(yes)


def test_the_plan_charges_the_contexts_the_judge_sends(fake, make_cfg):
    """The plan's judge estimate asks each criterion after the context of its form (rubric 5's
    exchange criteria after the one exchange), so its prompt tokens are the judge's own."""
    from simulator.llm.rate_limit import estimate_tokens
    from simulator.run.estimate import _judge_calls

    fake.set("pjudge", fakes.judge_probs(lambda m: 0.7))
    persona, scenario = load_persona("maya_grieving_daughter"), load_scenario("grief_missed_last_call")
    conv = conversation(["I'm so sorry, Maya.", "That voicemail must replay in your head."])
    v = run(judge_conversation_prob(Gateway(), JUDGE, persona, scenario, conv))
    assert v.status == "ok", v.error
    sent = [m for _, m, _ in fake.calls]
    cfg = make_cfg(judge={"method": "prob"})
    jc = _judge_calls(cfg, JUDGE, "prob", persona, scenario, conv, [])
    assert jc.calls == len(sent)
    assert jc.prompt_tokens == sum(estimate_tokens(m, None) for m in sent)
