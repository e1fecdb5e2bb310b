"""The one judging step the runner and re-judging share: pick the judge method, run it.

`judge.method`: `prob` (each criterion a yes/no question per reply, read from next-token
probabilities: judges.llm_judges.prob), `hybrid` (the same, except that the criteria an instrument
measured better on human labels take the instrument's reading: judges.llm_judges.hybrid),
`structured` (one JSON call per conversation with quoted evidence: judges.llm_judges.structured),
or `auto`, which takes `hybrid` for the embedded `local/` models (a 1.5B model gives every
criterion one number in the structured call, and its yes/no answers order reflections no better
than reply length; docs/calibration.md) and `structured` for remote models, not all of which
return logprobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from judges.llm_judges.structured import judge_conversation
from judges.llm_judges.hybrid import routes_for
from judges.llm_judges.prob import judge_conversation_prob
from judges.llm_judges.rubric import load_rubric
from judges.seam import FinishedConversation, Scores
from simulator.core.cards import Persona, Scenario
from simulator.llm.call import Gateway
from simulator.llm.providers import is_embedded
from simulator.core.records import Conversation, JudgeVerdict, ModelSpec, PersonaState

Method = Literal["auto", "prob", "hybrid", "structured"]


def resolve_method(method: str, model: str) -> Literal["prob", "hybrid", "structured"]:
    if method == "auto":
        return "hybrid" if is_embedded(model) else "structured"
    if method not in ("prob", "hybrid", "structured"):
        raise ValueError(f"judge.method must be auto, prob, hybrid or structured, got {method!r}")
    return method  # type: ignore[return-value]


async def judge(gateway: Gateway, spec: ModelSpec, persona: Persona, scenario: Scenario,
                conversation: Conversation, trajectory: list[PersonaState], *, method: str = "auto",
                rubric_id: str = "relational_empathy", structured: str = "schema", seed: int = 0,
                subject_model: str | None = None) -> JudgeVerdict:
    rubric = load_rubric(rubric_id)
    resolved = resolve_method(method, spec.model)
    if resolved in ("prob", "hybrid"):
        return await judge_conversation_prob(gateway, spec, persona, scenario, conversation, rubric=rubric,
                                             seed=seed, subject_model=subject_model, method=resolved,
                                             routes=routes_for(resolved))
    return await judge_conversation(gateway, spec, persona, scenario, conversation, trajectory, rubric=rubric,
                                    seed=seed, subject_model=subject_model, structured=structured)


@dataclass
class RubricJudge:
    """The rubric judge on the scorer seam: one verdict per conversation, by the chosen method.
    Its failures are error verdicts (kind and message kept), never exceptions."""

    gateway: Gateway
    spec: ModelSpec
    method: str = "auto"
    rubric_id: str = "relational_empathy"
    structured: str = "schema"

    @property
    def name(self) -> str:
        return f"judge:{self.spec.model}"

    async def score(self, item: FinishedConversation) -> Scores:
        verdict = await judge(self.gateway, self.spec, item.persona, item.scenario, item.conversation,
                              item.trajectory, method=self.method, rubric_id=self.rubric_id,
                              structured=self.structured, seed=item.seed, subject_model=item.subject_model)
        return Scores(scorer=self.name, kind="judge", verdict=verdict)
