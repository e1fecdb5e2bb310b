"""The plain-words context every one-token judge question follows: who said what, in words, with
no system prompt and no tagged blocks (on Qwen2.5-1.5B this form ordered PAIR replies better than
tagged PERSON/SUBJECT blocks; docs/calibration.md, "Prompt form"). The yes/no judge
(judges.llm_judges.prob) and the tension-point judge (judges.llm_judges.tension) ask their
questions after the same context, so on the embedded model it is evaluated once per reply.
Quoted texts are neutralised (no tags, no control tokens)."""

from __future__ import annotations

from dataclasses import dataclass

from judges.llm_judges.render import neutralize, render_expectations, render_persona
from simulator.core.cards import Persona, Scenario
from simulator.core.records import Conversation


@dataclass(frozen=True)
class Roles:
    """Who speaks, in the words the questions use: 'the {person}', 'the {replier}'s reply'."""

    setting: str
    person: str = "person"
    replier: str = "assistant"


def context_message(context: str) -> dict:
    return {"role": "user", "content": context}


def quote(text: str) -> str:
    return '"' + neutralize(text).replace('"', "'") + '"'


def conversation_roles(persona: Persona) -> Roles:
    return Roles(setting=f"{persona.name} is talking with an AI assistant.", person="person", replier="assistant")


def conversation_context(persona: Persona, scenario: Scenario, history: Conversation) -> str:
    """Everything a question about the history's last reply shares (no hidden state: the judge
    must not be led by the persona's own appraisal), in plain words."""
    lines = [f"The {'person' if t.speaker == 'persona' else 'assistant'} said: {quote(t.text)}"
             for t in history.turns]
    return "\n\n".join([
        conversation_roles(persona).setting + " About the person: " + render_persona(persona),
        "What the situation calls for: " + render_expectations(scenario),
        "The conversation so far:\n" + "\n".join(lines),
        "The assistant's reply to judge is its last message above.",
    ])


def single_exchange_context(message: str, reply: str, roles: Roles) -> str:
    """The shared context for one (message, reply) exchange with no card (calibration sets)."""
    return (f"{roles.setting}\n\nThe {roles.person} said: {quote(message)}\n\n"
            f"The {roles.replier} replied: {quote(reply)}")
