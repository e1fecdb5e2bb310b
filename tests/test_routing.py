from langgraph.graph import END

from simulator.conversation.graph import route_after_appraise, route_after_persona, route_after_subject, stop_reason
from simulator.core.records import ErrorInfo


def st(**kw):
    base = {"turns": [], "states": [], "replies": 0, "max_turns": 3}
    base.update(kw)
    return base


def test_turn_limit_lives_in_routing():
    assert route_after_appraise(st(replies=2)) == "persona"
    assert route_after_appraise(st(replies=3)) == END
    assert stop_reason(st(replies=3)) == "max_turns"


def test_persona_end_and_disengagement_stop():
    assert route_after_persona(st(persona_ended=True)) == END
    assert stop_reason(st(persona_ended=True)) == "persona_ended"
    assert stop_reason(st(disengaged=True, persona_ended=False)) == "persona_disengaged"
    assert route_after_persona(st()) == "subject"


def test_error_beats_every_other_reason():
    err = ErrorInfo(kind="rate_limit", role="subject", message="x")
    s = st(error=err, replies=3, persona_ended=True)
    assert stop_reason(s) == "infrastructure_error"  # typed: a provider failure
    assert route_after_subject(s) == END
    assert route_after_subject(st()) == "appraise"
