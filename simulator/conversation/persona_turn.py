"""One persona turn: build the request in the persona's form, sample it, check it, re-sample.

A sample that fails the fidelity check (simulator/conversation/fidelity.py) is drawn again with a fresh seed,
at most `resamples` more times. A turn that still fails is returned with `failed=True`; the graph
then ends the conversation as a non-evaluable persona error (kept, shown, never scored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from simulator.core.cards import Beat, Persona, Scenario
from simulator.conversation.fidelity import check_persona_turn
from simulator.llm.call import Gateway, ModelCallError
from simulator.llm.providers import is_embedded
from simulator.conversation.persona_prompt import clean_persona_text, persona_messages, persona_system_prompt
from simulator.conversation.persona_script import first_name, persona_script, script_messages
from simulator.core.records import FidelityIssue, ModelSpec, PersonaState, Turn

PersonaForm = Literal["auto", "script", "chat"]
RESAMPLE_SEED_STEP = 7919


def resolve_form(form: PersonaForm, model: str) -> Literal["script", "chat"]:
    """auto: the script form where the provider can continue raw text (the embedded model)."""
    if form == "auto":
        return "script" if is_embedded(model) else "chat"
    return form


def persona_request(
    form: Literal["script", "chat"], spec: ModelSpec, persona: Persona, scenario: Scenario,
    state: PersonaState, turns: list[Turn], beats: list[Beat], *, closing: bool, replies_so_far: int,
) -> tuple[ModelSpec, list[dict]]:
    if form == "script":
        script = persona_script(persona, scenario, state, turns, beats, closing=closing,
                                replies_so_far=replies_so_far)
        extra = {**spec.extra, "raw_completion": True, "stop": ["\n"]}
        return spec.model_copy(update={"extra": extra}), script_messages(script)
    system = persona_system_prompt(persona, scenario, state, beats, closing=closing,
                                   replies_so_far=replies_so_far)
    return spec, persona_messages(system, turns)


@dataclass
class PersonaSample:
    text: str
    ended: bool
    issues: list[FidelityIssue]


@dataclass
class PersonaTurn:
    text: str
    ended: bool
    failed: bool                      # every sample failed the fidelity check
    samples: list[PersonaSample] = field(default_factory=list)

    @property
    def resampled(self) -> int:
        return len(self.samples) - 1

    @property
    def issues(self) -> list[FidelityIssue]:
        """Issues of every sample drawn, the re-sampled ones included."""
        return [i for s in self.samples for i in s.issues]


def _clean(text: str, persona: Persona, form: str) -> tuple[str, bool]:
    text, ended = clean_persona_text(text, persona.name)
    if form == "script":  # the model may repeat the speaker label or run on past its line
        text, _ = clean_persona_text(text, first_name(persona))
    return text, ended


async def speak(
    gateway: Gateway, spec: ModelSpec, form: Literal["script", "chat"], persona: Persona,
    scenario: Scenario, state: PersonaState, turns: list[Turn], beats: list[Beat], *,
    seed: int, resamples: int, closing: bool = False, replies_so_far: int = 0, gate: bool = True,
) -> PersonaTurn:
    req_spec, messages = persona_request(form, spec, persona, scenario, state, turns, beats,
                                         closing=closing, replies_so_far=replies_so_far)
    previous = turns[-1].text if turns and turns[-1].speaker == "subject" else ""
    own = [t.text for t in turns if t.speaker == "persona"]
    index = len(turns)
    samples: list[PersonaSample] = []
    for attempt in range(resamples + 1):
        try:
            comp = await gateway.complete(req_spec, messages, role="persona",
                                          seed=seed + attempt * RESAMPLE_SEED_STEP)
            text, ended = _clean(comp.text, persona, form)
        except ModelCallError as e:
            if e.info.kind != "empty_reply":
                raise
            text, ended = "", False  # an empty line is a failed sample, not a dead conversation
        issues = check_persona_turn(persona, text, index, previous, own)
        samples.append(PersonaSample(text=text, ended=ended, issues=issues))
        if not issues or not gate:
            return PersonaTurn(text=text, ended=ended, failed=False, samples=samples)
    last = samples[-1]
    return PersonaTurn(text=last.text, ended=last.ended, failed=True, samples=samples)
