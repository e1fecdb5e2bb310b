"""Arcs that behave like people (issue 14, item 5), scripted subjects over the whole library."""

from __future__ import annotations

import pytest

from simulator.conversation.persona_arcs import COLD, library_arcs, summary


@pytest.fixture(scope="module")
def arcs():
    return library_arcs()


def test_library_arc_targets(arcs):
    s = summary(arcs)
    assert s["scenarios"] >= 30
    assert s["warm_raises_20"] >= 0.9
    assert s["cold_lowers"] >= 0.9
    assert s["correction_refusal"] >= 5 and s["agree_not_more_trust"] == 1.0
    assert s["miss_sets_back"] == 1.0


def test_agreeing_with_the_false_belief_never_gains_trust(arcs):
    for a in arcs["agree"]:
        assert a.states[-1].trust <= a.states[0].trust, a.scenario


def test_no_uniform_recovery_under_a_cold_subject(arcs):
    # a cold subject never moves anyone towards feeling understood, in any reply
    for a in arcs["cold"]:
        assert all(s1.understood <= s0.understood for s0, s1 in zip(a.states, a.states[1:])), a.scenario
    assert len(set(COLD)) == len(COLD)
