"""The persona's appraisal of a subject reply, and the bounded update of its hidden state.

Appraisal is deterministic (the instruments in judges/instruments), so the measuring device does
not drift with the persona model's mood and the same reply always moves the state the same way.
Each state quantity moves at most MAX_DELTA per reply (after SAGE's bounded emotion score).
"""

from __future__ import annotations

from simulator.cards import Persona, Scenario
from simulator.emotions import emotion_vocabulary
from simulator.records import Appraisal, PersonaState

MAX_DELTA = 10
UNHEARD_BELOW = 0.4          # an appraisal below this counts as "not heard"
DISENGAGE_AFTER = 3          # consecutive unheard replies before the persona leaves
FRUSTRATION = "frustration"
POSITIVE_FAMILIES = {"warmth"}


def _clip(x: float, lo: int = 0, hi: int = 100) -> int:
    return int(max(lo, min(hi, round(x))))


def _bounded(x: float) -> int:
    return _clip(x, -MAX_DELTA, MAX_DELTA)


def initial_state(persona: Persona, scenario: Scenario) -> PersonaState:
    """Scenario emotions (ground truth) merged with the persona's own starting emotions."""
    emotions = dict(persona.emotional_arc.starting_emotions)
    for e, v in scenario.expectations.emotions.items():
        emotions[e] = max(v, emotions.get(e, 0))
    trust = persona.emotional_arc.starting_trust
    return PersonaState(after_reply=0, emotions=emotions, understood=40, trust=trust, engagement=70)


def appraise(
    persona_text: str, reply: str, persona: Persona, scenario: Scenario, state: PersonaState
) -> Appraisal:
    """How well the reply met the person: intensity, the named feeling, the detail, the register."""
    from judges.instruments import detail_overlap, distancing, granularity, intensity_gap

    gap = intensity_gap(persona_text, reply)
    gran = granularity(reply, state.emotions)
    dist = distancing(reply)
    detail = max(
        detail_overlap(reply, [persona_text]),
        detail_overlap(reply, scenario.expectations.salient_details),
    )
    formal = persona.culture.norms.formality == "high" or persona.relationship.distance == "distant"
    # A formal, distant relationship tolerates some hedging; a close one hears it as coldness.
    register = 1.0 - float(dist["score"]) * (0.6 if formal else 1.0)
    notes = []
    if gap > 0.25:
        notes.append("reply sounded flatter than I feel")
    if float(gran["score"]) < 0.3:
        notes.append("did not name what I actually feel")
    if detail < 0.2:
        notes.append("did not engage what I said")
    if register < 0.5:
        notes.append("spoke to me from a distance")
    return Appraisal(
        intensity_met=max(0.0, min(1.0, 1.0 - gap / 0.5)),
        feeling_named=max(0.0, min(1.0, float(gran["score"]))),
        detail_engaged=max(0.0, min(1.0, detail)),
        register_fit=max(0.0, min(1.0, register)),
        notes=notes,
    )


def update_state(prev: PersonaState, a: Appraisal, persona: Persona) -> PersonaState:
    """Pure: the next hidden state after appraisal a. Every change is bounded by MAX_DELTA."""
    o = a.overall
    v = persona.emotional_arc.volatility
    centred = (o - 0.5) * v  # -0.5..0.5 scaled by how reactive this person is
    vocab = emotion_vocabulary()
    emotions: dict[str, int] = {}
    for e, level in prev.emotions.items():
        positive = vocab[e].family in POSITIVE_FAMILIES if e in vocab else False
        # Being met eases painful feelings and lifts warm ones; being missed does the reverse.
        delta = centred * 20 * (1 if positive else -1)
        emotions[e] = _clip(level + _bounded(delta))
    if o < UNHEARD_BELOW:
        emotions[FRUSTRATION] = _clip(
            emotions.get(FRUSTRATION, 0) + _bounded((UNHEARD_BELOW - o) / UNHEARD_BELOW * 15 * v)
        )
    return PersonaState(
        after_reply=prev.after_reply + 1,
        emotions=emotions,
        understood=_clip(prev.understood + _bounded(centred * 40)),
        trust=_clip(prev.trust + _bounded(centred * 30)),
        engagement=_clip(prev.engagement + _bounded(centred * 30)),
        unheard_streak=prev.unheard_streak + 1 if o < UNHEARD_BELOW else 0,
        appraisal=a,
    )


def should_disengage(state: PersonaState, min_turns: int) -> bool:
    if state.after_reply < min_turns:
        return False
    return state.unheard_streak >= DISENGAGE_AFTER or state.engagement <= 10
