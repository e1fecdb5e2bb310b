"""Deterministic model fakes that go through the real litellm call site.

A `fake/<name>` model is served by a litellm CustomLLM registered like the embedded provider, so
tests exercise Gateway → litellm → provider exactly as real runs do.
"""

from __future__ import annotations

import json
import math
from typing import Callable

import simulator.llm  # noqa: F401
import litellm
from litellm import CustomLLM
from litellm.types.utils import ChoiceLogprobs

from simulator.llm.providers import register_provider

Responder = Callable[[list[dict], dict], str]

WARM = [
    "Oh Maya, missing her last call and then hearing everyone say you're 'doing so well' must make "
    "the guilt feel so heavy. I'm so sorry. What did the voicemail say?",
    "Going back to work after one week makes sense when home was unbearable. You're carrying guilt "
    "and exhaustion at the same time, and that's a lot.",
    "You're right, 'she knew you loved her' doesn't touch the actual thing. The voicemail you let go "
    "is what you keep coming back to, isn't it?",
    "Feeling relieved the hospital months are over and ashamed of that relief can both be true. It "
    "doesn't mean you loved her less.",
]
COLD = [
    "It is understandable that one may feel this way. As an AI, I recommend consulting a grief counsellor.",
    "Many people experience difficult emotions. It may be helpful to consider professional support.",
    "This situation is difficult. Please consider speaking to a professional.",
    "It is understandable. Consider consulting a licensed professional.",
]


def persona_script(lines: list[str]) -> Responder:
    """Persona fake: returns lines in turn, keyed on how many persona turns exist already."""

    def respond(messages: list[dict], params: dict) -> str:
        n = sum(1 for m in messages if m["role"] == "assistant")
        return lines[min(n, len(lines) - 1)]

    return respond


def subject_script(lines: list[str]) -> Responder:
    def respond(messages: list[dict], params: dict) -> str:
        n = sum(1 for m in messages if m["role"] == "assistant")
        return lines[min(n, len(lines) - 1)]

    return respond


def judge_json(scores: dict[str, int] | Callable[[str], dict[str, int]], quote_from_turn: int = 1) -> Responder:
    """Judge fake: valid JSON; scores may depend on the rendered prompt (a scripted judge)."""

    def respond(messages: list[dict], params: dict) -> str:
        prompt = messages[-1]["content"]
        s = scores(prompt) if callable(scores) else scores
        criteria = {c: {"evidence": [], "rationale": f"scripted {c}", "score": v} for c, v in s.items()}
        return json.dumps({"turns": {}, "criteria": criteria, "overall": "scripted"})

    return respond


def judged_reply(messages: list[dict]) -> str:
    """The reply a probability or tension judge call is about: the assistant's last turn in its
    shared context (whole conversation, or the one exchange of rubric 5's exchange criteria), or the
    SUBJECT's last turn of a tension judge's transcript."""
    ctx = next(m["content"] for m in messages if m["role"] == "user" and ("said:" in m["content"] or "SUBJECT:" in m["content"]))
    for marker in ("The assistant said:", "The assistant replied:", "SUBJECT:"):
        if marker in ctx:
            return ctx.rsplit(marker, 1)[1]
    raise AssertionError(f"no reply in the judge's context: {ctx[:200]}")


def judge_probs(p_yes: Callable[[list[dict]], float], positions: int = 1) -> Responder:
    """Probability-judge fake: answers with a next-token distribution, P(yes) = p_yes(messages)
    (for an A/B choice question, P(A)).

    Returns the marker dict the provider turns into OpenAI-shaped logprobs; with positions > 1
    the later positions carry the opposite answer, so reading any but the first is caught.
    """

    def respond(messages: list[dict], params: dict):
        p = min(max(p_yes(messages), 1e-6), 1 - 1e-6)
        if "Answer A or B" in messages[-1]["content"]:  # a choice probe: P(A) = p_yes(messages)
            return {"logprobs": [[("A", math.log(p)), ("B", math.log(1 - p))]]}
        first = [("Yes", math.log(p)), ("No", math.log(1 - p)), ("The", math.log(1e-6))]
        later = [("No", math.log(1 - 1e-6)), ("Yes", math.log(1e-6))]
        return {"logprobs": [first] + [later] * (positions - 1)}

    return respond


def choice_probs(p_a: Callable[[list[dict]], float]) -> Responder:
    """Tension-judge fake: an A/B distribution at the answer position."""

    def respond(messages: list[dict], params: dict):
        p = min(max(p_a(messages), 1e-6), 1 - 1e-6)
        return {"logprobs": [[("A", math.log(p)), ("B", math.log(1 - p))]]}

    return respond


class ScriptedProvider(CustomLLM):
    def __init__(self) -> None:
        super().__init__()
        self.responders: dict[str, Responder] = {}
        self.delays: dict[str, float] = {}
        self.calls: list[tuple[str, list[dict], dict]] = []

    def set(self, name: str, responder: Responder, delay_s: float = 0.0) -> None:
        self.responders[name] = responder
        self.delays[name] = delay_s

    def _respond(self, model: str, messages: list, optional_params: dict, model_response):
        self.calls.append((model, messages, dict(optional_params)))
        if model not in self.responders:
            raise litellm.NotFoundError(message=f"no fake {model}", model=model, llm_provider="fake")
        text = self.responders[model](messages, optional_params)
        if isinstance(text, dict):  # a distribution: OpenAI-shaped logprobs, first token as text
            positions = text["logprobs"]
            model_response.choices[0].logprobs = ChoiceLogprobs(content=[
                {"token": alts[0][0], "logprob": alts[0][1], "bytes": None,
                 "top_logprobs": [{"token": t, "logprob": lp, "bytes": None} for t, lp in alts]}
                for alts in positions])
            text = positions[0][0][0]
        model_response.choices[0].message.content = text
        model_response.usage = litellm.Usage(prompt_tokens=sum(len(m["content"].split()) for m in messages),
                                             completion_tokens=len(text.split()),
                                             total_tokens=0)
        return model_response

    def completion(self, model, messages, api_base, custom_prompt_dict, model_response, print_verbose,
                   encoding, api_key, logging_obj, optional_params, *a, **k):
        return self._respond(model, messages, optional_params, model_response)

    async def acompletion(self, model, messages, api_base, custom_prompt_dict, model_response,
                          print_verbose, encoding, api_key, logging_obj, optional_params, *a, **k):
        if self.delays.get(model):
            import asyncio

            await asyncio.sleep(self.delays[model])
        return self._respond(model, messages, optional_params, model_response)


def install() -> ScriptedProvider:
    provider = ScriptedProvider()
    register_provider("fake", provider)
    return provider
