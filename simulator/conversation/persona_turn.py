"""One persona turn: build the request in the persona's form, sample it, check it, re-sample.

A sample that fails the fidelity check (simulator/conversation/fidelity.py, plus the in-character
scorer of in_character.py when it is on) is drawn again with a fresh seed, at most `resamples`
more times; with `candidates` > 1 each try draws that many and keeps the one the scorer ranks
highest (best-of-n). When every try fails, the card's authored fallback line for the moment is
said (fallback.py); without one the turn is returned with `failed=True` and the graph ends the
conversation as a non-evaluable persona error (kept, shown, never scored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from judges.llm_judges.answers import AnswerError
from simulator.core.cards import Beat, Persona, Scenario
from simulator.conversation.fallback import authored_shortfall, fallback_line
from simulator.conversation.fidelity import check_persona_turn
from simulator.conversation.in_character import THRESHOLD, in_character_score
from simulator.llm.call import Gateway, ModelCallError
from simulator.llm.providers import is_embedded
from simulator.conversation.persona_prompt import clean_persona_text, persona_messages, persona_system_prompt
from simulator.conversation.persona_script import first_name, persona_script, script_messages
from simulator.core.records import FidelityIssue, ModelSpec, PersonaState, Turn

PersonaForm = Literal["auto", "script", "chat", "authored"]
Form = Literal["script", "chat", "authored"]
RESAMPLE_SEED_STEP = 7919


def resolve_form(form: PersonaForm, model: str, persona: Persona | None = None,
                 scenario: Scenario | None = None, max_turns: int | None = None) -> Form:
    """auto: on the embedded model the authored lines where the card has enough of them for this
    scenario, else the script form (raw text continued); chat on other models. On the embedded
    model a generated persona stayed out of character in 38-54 % of kept turns and the authored
    one in 3 of 97 by reading (docs/persona_fidelity.md, section 7)."""
    if form != "auto":
        return form
    if not is_embedded(model):
        return "chat"
    if persona is not None and scenario is not None and authored_shortfall(
            persona, scenario.id, max_turns or scenario.max_turns) is None:
        return "authored"
    return "script"


def generation_form(form: Form, model: str) -> Literal["script", "chat"]:
    """The form a generated turn uses: in the authored mode only an opening that the scenario
    does not give in the persona's language is generated, in the form auto would pick."""
    if form == "authored":
        return "script" if is_embedded(model) else "chat"
    return form


def persona_request(
    form: Literal["script", "chat"], spec: ModelSpec, persona: Persona, scenario: Scenario,
    state: PersonaState, turns: list[Turn], beats: list[Beat], *, closing: bool, replies_so_far: int,
    examples: int = 0,
) -> tuple[ModelSpec, list[dict]]:
    if form == "script":
        script = persona_script(persona, scenario, state, turns, beats, closing=closing,
                                replies_so_far=replies_so_far, examples=examples)
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
    p_in_character: float | None = None  # the in-character scorer's P, when it was asked


@dataclass
class PersonaTurn:
    text: str
    ended: bool
    failed: bool                      # every sample failed and no fallback line was left
    samples: list[PersonaSample] = field(default_factory=list)
    kept: int | None = None           # index of the sample said; None: failed or a fallback line
    fallback: str | None = None       # the fallback kind, when an authored line was said

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


async def _score(gateway: Gateway, spec: ModelSpec, persona: Persona, scenario: Scenario,
                 previous: str, sample: PersonaSample, turn: int) -> None:
    """Ask the in-character scorer about a sample the patterns passed; below the threshold it
    fails as `out_of_character`. An unreadable answer leaves the sample unscored (ranked last)."""
    try:
        p = await in_character_score(gateway, spec, persona, scenario, previous, sample.text)
    except AnswerError:
        return
    sample.p_in_character = round(p, 4)
    if p < THRESHOLD:
        sample.issues.append(FidelityIssue(kind="out_of_character", turn=turn,
                                           detail=f"P(in character) {p:.2f} < {THRESHOLD}"))


def authored_turn(persona: Persona, scenario: Scenario, state: PersonaState, beats: list[Beat], *,
                  closing: bool, said: list[str], index: int, reply: str = "") -> PersonaTurn:
    """The authored mode's turn: the card's unsaid line for the moment (fallback.py's choice).
    None left (a card validation should have refused for this mode): a failed turn, so the
    conversation ends as a persona error instead of saying a line twice."""
    line = fallback_line(persona, state, beats, closing=closing, said=said, scenario=scenario.id, reply=reply)
    if line is None:
        issue = FidelityIssue(kind="out_of_character", turn=index,
                              detail="no authored line left for this turn (fallback_lines)")
        return PersonaTurn(text="", ended=False, failed=True,
                           samples=[PersonaSample(text="", ended=False, issues=[issue])])
    return PersonaTurn(text=line[0], ended=closing, failed=False, fallback=line[1])


async def speak(
    gateway: Gateway, spec: ModelSpec, form: Form, persona: Persona,
    scenario: Scenario, state: PersonaState, turns: list[Turn], beats: list[Beat], *,
    seed: int, resamples: int, closing: bool = False, replies_so_far: int = 0, gate: bool = True,
    candidates: int = 1, scorer: bool = False, fallback: bool = False, examples: int = 0,
) -> PersonaTurn:
    """Up to `resamples + 1` tries of `candidates` samples each. A try keeps, among its samples
    that pass the check, the one the in-character scorer ranks highest (the first, without the
    scorer). When every try fails: the card's fallback line (`fallback`), else a failed turn.
    form `authored`: every turn after the opening is the card's line for the moment, no model call."""
    own = [t.text for t in turns if t.speaker == "persona"]
    previous = turns[-1].text if turns and turns[-1].speaker == "subject" else ""
    if form == "authored" and turns:
        return authored_turn(persona, scenario, state, beats, closing=closing, said=own, index=len(turns),
                             reply=previous)
    form = generation_form(form, spec.model)
    req_spec, messages = persona_request(form, spec, persona, scenario, state, turns, beats,
                                         closing=closing, replies_so_far=replies_so_far,
                                         examples=examples)
    index = len(turns)
    samples: list[PersonaSample] = []
    for attempt in range(resamples + 1):
        tried = []
        for c in range(max(1, candidates)):
            k = attempt * max(1, candidates) + c
            try:
                comp = await gateway.complete(req_spec, messages, role="persona",
                                              seed=seed + k * RESAMPLE_SEED_STEP)
                text, ended = _clean(comp.text, persona, form)
            except ModelCallError as e:
                if e.info.kind != "empty_reply":
                    raise
                text, ended = "", False  # an empty line is a failed sample, not a dead conversation
            sample = PersonaSample(text=text, ended=ended, issues=check_persona_turn(persona, text, index, previous, own))
            if scorer and not sample.issues and gate:
                await _score(gateway, spec, persona, scenario, previous, sample, index)
            samples.append(sample)
            if not gate:
                return PersonaTurn(text=text, ended=ended, failed=False, samples=samples, kept=0)
            tried.append(k)
        passing = [k for k in tried if not samples[k].issues]
        if passing:
            best = max(passing, key=lambda k: (samples[k].p_in_character or 0.0, -k))
            return PersonaTurn(text=samples[best].text, ended=samples[best].ended, failed=False,
                               samples=samples, kept=best)
    if fallback and (line := fallback_line(persona, state, beats, closing=closing, said=own,
                                           scenario=scenario.id, opening=not turns, reply=previous)):
        return PersonaTurn(text=line[0], ended=closing, failed=False, samples=samples, fallback=line[1])
    last = samples[-1]
    return PersonaTurn(text=last.text, ended=last.ended, failed=True, samples=samples)
