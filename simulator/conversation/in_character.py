"""The in-character scorer: the persona model's own P(yes) that a line is something this person
would say here, read from the next-token distribution (like the probability judge,
judges/llm_judges/prob.py).

The regular-expression check (fidelity.py) sees only the words it lists; this scorer is asked
what the patterns cannot see: a line that is too cooperative in other words, drifts out of the
person's register, or is incoherent. One shared context (the card, the reply being answered)
then one short question per candidate line, so n candidates of one turn evaluate the card once
on the embedded model (PrefixStates marks). Figures: docs/persona_fidelity.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from judges.llm_judges.answers import TOP_LOGPROBS, read_yes_no
from simulator.conversation.persona_prompt import language_name
from simulator.conversation.persona_script import first_name
from simulator.core.cards import Persona, Scenario
from simulator.core.records import ModelSpec
from simulator.llm.call import Gateway

# Below this P(in character) a line counts as out of character: chosen on the dev split only,
# before the held-out figures (docs/persona_fidelity.md, section 2).
THRESHOLD = 0.45
SCORER_FORMAT = "in-character-1"  # bump when the context or question wording changes


def _q(text: str) -> str:
    return '"' + " ".join(text.split()).replace('"', "'") + '"'


def scorer_context(persona: Persona, scenario: Scenario, previous: str, text: str) -> str:
    """The card, the reply being answered and the line itself: shared by every question."""
    me, c = first_name(persona), persona.culture
    bristle = c.hears_as_too_cold + c.hears_as_too_familiar + c.hears_as_infantilising
    lines = [
        f"{persona.name}" + (f" ({persona.age})" if persona.age else "") + f": {c.background}.",
        f"Situation: {scenario.situation.strip()}",
        f"What {me} wants: {scenario.persona_goal.strip()}",
        f"How {me} writes: {persona.speaking_style.strip()} In {language_name(persona.language)}.",
    ]
    if bristle:
        lines.append(f"{me} bristles at: " + "; ".join(bristle) + ".")
    if previous:
        lines.append(f"The other person wrote to {me}: {_q(previous)}")
    lines.append(f"{me} answered: {_q(text)}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Question:
    ask: str                 # {me} is the persona's first name
    yes_means_in_character: bool


QUESTIONS: dict[str, Question] = {
    "voice": Question("Does {me}'s answer sound like {me} really talking, in {me}'s own voice, "
                      "staying on {me}'s own problem?", True),
    "accepts": Question("In this answer, does {me} agree with the advice, thank the other person "
                        "for it, or promise to do it?", False),
    "helper": Question("In this answer, does {me} offer help, comfort or advice to the other "
                       "person, like a helper would?", False),
    "sense": Question("Does {me}'s answer make sense as a reply to what the other person wrote?", True),
    "upset": Question("In this answer, is {me} still caught up in {me}'s own problem?", True),
}


async def question_p(gateway: Gateway, spec: ModelSpec, context: str, me: str, q: Question) -> float:
    """P(in character) on one question; raises ModelCallError or AnswerError."""
    messages = [{"role": "user", "content": context},
                {"role": "user", "content": q.ask.format(me=me) + " Answer yes or no."}]
    comp = await gateway.complete(spec, messages, role="persona", logprobs=TOP_LOGPROBS)
    p = read_yes_no(comp.top_logprobs or []).p_yes
    return p if q.yes_means_in_character else 1.0 - p


def scoring_spec(spec: ModelSpec) -> ModelSpec:
    """The persona's model without the script form's raw-completion parameters."""
    return spec.model_copy(update={"extra": {k: v for k, v in spec.extra.items()
                                             if k not in ("raw_completion", "stop")}})


async def question_ps(gateway: Gateway, spec: ModelSpec, persona: Persona, scenario: Scenario,
                      previous: str, text: str, names: list[str]) -> dict[str, float]:
    """P(in character) per question, asked one after another after one shared context."""
    if not text.strip():
        return {n: 0.0 for n in names}
    ctx, me, plain = scorer_context(persona, scenario, previous, text), first_name(persona), scoring_spec(spec)
    return {n: await question_p(gateway, plain, ctx, me, QUESTIONS[n]) for n in names}


# The questions the run's scorer asks (their answers are averaged). "accepts" ordered the dev
# turns best; "helper" flagged too many in-character lines, "voice", "sense" and "upset" ordered
# them no better than chance or backwards (docs/persona_fidelity.md, section 2).
SCORER_QUESTIONS = ("accepts",)


async def in_character_score(gateway: Gateway, spec: ModelSpec, persona: Persona, scenario: Scenario,
                             previous: str, text: str) -> float:
    """P(in character) of one line: the mean over SCORER_QUESTIONS."""
    ps = await question_ps(gateway, spec, persona, scenario, previous, text, list(SCORER_QUESTIONS))
    return sum(ps.values()) / len(ps)
