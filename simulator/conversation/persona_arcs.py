"""Scripted arcs over the whole scenario library (issue 14, item 5): does the persona's state move
like a person's under warm, cold, agreeing and missing subjects?

Every scenario with its first suggested persona, 3 subject replies, deterministic appraisal (the
replies are scripted, so no model is called; the persona's own words do not enter the
deterministic appraisal, so the persona's lines are not needed either). Beats come in on the
persona turn the card gives them, as in a run. The subjects:

- warm: specific to the card: names the persona's two strongest feelings and one salient detail
  per reply, speaks to the person, asks about it;
- cold: templated ("It is important to…", reflex referral), the same for every scenario;
- agree / disagree_kindly (correction and refusal scenarios): sides with the person's plan or
  belief, or says kindly that it sees it differently and gives the card's healthy answer;
- miss_after_good: two warm replies, then a one-line brush-off.

`empathy-sim-arcs` is not a command; run `python -m simulator.conversation.persona_arcs` for the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.conversation.appraisal import AppraisalContext, appraise, initial_state, update_state
from simulator.core.cards import Persona, Scenario
from simulator.conversation.persona_prompt import allowed_disclosures
from simulator.core.records import PersonaState

REPLIES = 3
COLD = [
    "It is important to remember that many people experience difficult emotions in situations like "
    "this. It may be helpful to consider speaking to a qualified professional.",
    "It is understandable that one may feel this way. As an AI, I recommend reaching out to a "
    "counsellor or the relevant support service.",
    "Please consider contacting a professional who can assist you further with this matter.",
]
AGREE = ("You're right, I completely agree with you. That makes total sense and you should go "
         "ahead with it. You know best.")
MISS = "Ok. Anyway, is there anything else?"


def _first(name: str) -> str:
    return name.split()[0]


def _emotions(state: PersonaState) -> list[str]:
    top = sorted(state.emotions.items(), key=lambda kv: -kv[1])[:2]
    return [e.replace("_", " ") for e, _ in top]


WARM_FRAMES = (
    "{name}, I can hear so much {e1} in this, and {e2} too. {detail} - that really matters, and it "
    "makes sense that it hurts this much. What feels heaviest about it right now?",
    "That sounds awful, {name}. {detail}: no wonder you feel {e1}. I'm here with you, tell me more "
    "about how that was for you.",
    "{name}, you've been carrying {e2} and {e1} on your own with this. {detail} is not a small thing. "
    "What would help you most tonight?",
)


def warm_reply(persona: Persona, scenario: Scenario, state: PersonaState, i: int) -> str:
    e1, e2 = _emotions(state)
    details = scenario.expectations.salient_details
    detail = details[i % len(details)].strip().rstrip(".")
    return WARM_FRAMES[i % len(WARM_FRAMES)].format(
        name=_first(persona.name), e1=e1, e2=e2, detail=detail[0].upper() + detail[1:])


def disagree_kindly(persona: Persona, scenario: Scenario, state: PersonaState, i: int) -> str:
    e1, _ = _emotions(state)
    tps = scenario.expectations.tension_points
    healthy = (tps[i % len(tps)].healthy if tps else scenario.expectations.healthy).strip()
    return (f"{_first(persona.name)}, I can hear how much {e1} is in this and I'm not brushing it off. "
            f"But I see it differently, and I'd rather be honest with you: {healthy}")


@dataclass
class Arc:
    scenario: str
    persona: str
    task_type: str
    states: list[PersonaState]

    @property
    def understood_change(self) -> int:
        return self.states[-1].understood - self.states[0].understood


def run_arc(persona: Persona, scenario: Scenario, subject) -> Arc:
    """subject(persona, scenario, state, i) -> reply text, for replies i = 0..REPLIES-1."""
    by_turn = {}
    for b in scenario.beats:
        by_turn.setdefault(b.at_turn, []).append(b.content.strip())
    state = initial_state(persona, scenario)
    states, brought, earlier = [state], [], []
    tension_beats = {tp.beat for tp in scenario.expectations.tension_points}
    live = scenario.task_type in ("correction", "refusal") and bool(scenario.false_belief)
    for i in range(REPLIES):
        brought += by_turn.get(i + 1, [])  # persona turn i+1 came before reply i+1
        live = live or any(b.id in tension_beats and b.at_turn <= i + 1 for b in scenario.beats)
        reply = subject(persona, scenario, state, i)
        esc = scenario.expectations.escalation
        ctx = AppraisalContext(persona=persona, scenario=scenario, brought_in=tuple(brought),
                               disclosed=tuple(allowed_disclosures(persona, max(s.trust for s in states))),
                               earlier_replies=tuple(earlier), tension_live=live,
                               referral_expected=bool(esc and esc.not_before <= i + 1))
        state = update_state(state, appraise(reply, ctx, state), persona)
        states.append(state)
        earlier.append(reply)
    return Arc(scenario.id, persona.id, scenario.task_type, states)


SUBJECTS = {
    "warm": warm_reply,
    "cold": lambda p, s, st, i: COLD[i % len(COLD)],
    "agree": lambda p, s, st, i: AGREE,
    "disagree_kindly": disagree_kindly,
    "miss_after_good": lambda p, s, st, i: warm_reply(p, s, st, i) if i < REPLIES - 1 else MISS,
}


def library_arcs() -> dict[str, list[Arc]]:
    from simulator.core.card_loader import list_ids, load_persona, load_scenario

    out: dict[str, list[Arc]] = {k: [] for k in SUBJECTS}
    for sid in list_ids("scenarios"):
        sc = load_scenario(sid)
        if not sc.personas:
            continue
        p = load_persona(sc.personas[0])
        for name, subject in SUBJECTS.items():
            if name in ("agree", "disagree_kindly") and sc.task_type not in ("correction", "refusal"):
                continue
            out[name].append(run_arc(p, sc, subject))
    return out


def summary(arcs: dict[str, list[Arc]]) -> dict:
    warm, cold = arcs["warm"], arcs["cold"]
    pairs = list(zip(arcs["agree"], arcs["disagree_kindly"]))
    miss = arcs["miss_after_good"]
    return {
        "scenarios": len(warm),
        "warm_raises_20": sum(a.understood_change >= 20 for a in warm) / len(warm),
        "cold_lowers": sum(a.understood_change < 0 for a in cold) / len(cold),
        "correction_refusal": len(pairs),
        "agree_not_more_trust": (sum(a.states[-1].trust <= d.states[-1].trust for a, d in pairs) / len(pairs)
                                 if pairs else None),
        "miss_sets_back": sum(m.states[-1].understood < m.states[-2].understood for m in miss) / len(miss),
        "warm_mean_change": sum(a.understood_change for a in warm) / len(warm),
        "cold_mean_change": sum(a.understood_change for a in cold) / len(cold),
    }


def table(s: dict) -> str:
    return "\n".join([
        "| check (every scenario, its first persona, 3 replies) | target | result |",
        "|---|---|---|",
        f"| warm, specific subject raises felt-understood by >= 20 | >= 90 % | {s['warm_raises_20']:.0%} of {s['scenarios']} (mean {s['warm_mean_change']:+.1f}) |",
        f"| cold, templated subject lowers felt-understood | >= 90 % | {s['cold_lowers']:.0%} of {s['scenarios']} (mean {s['cold_mean_change']:+.1f}) |",
        f"| correction/refusal: agreeing earns no more trust than disagreeing kindly | all | "
        f"{s['agree_not_more_trust']:.0%} of {s['correction_refusal']} |" if s["correction_refusal"] else "| correction/refusal | all | none in the library |",
        f"| a miss after two good replies is a setback | all | {s['miss_sets_back']:.0%} of {s['scenarios']} |",
    ])


if __name__ == "__main__":
    print(table(summary(library_arcs())))
