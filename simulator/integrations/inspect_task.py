"""empathy-sim as an inspect_ai task (the optional extra `empathy-sim[inspect]`).

    inspect eval simulator/integrations/inspect_task.py --model mockllm/model -T max_turns=2
    inspect view

Samples are the plan's persona × scenario (× seed) conversations. The solver runs this project's
conversation loop with inspect's model under test as the subject (any inspect provider: the
`inspect/model` litellm provider hands the subject's calls to inspect, simulator/integrations/
inspect_provider.py), while the persona stays this project's persona model (the embedded one by
default). The transcript goes into the sample's messages (persona = user, subject = assistant).
The scorers are this project's scorers through the seam (judges/seam.py, by the one scoring step
simulator/run/scoring.py): the instrument families always, the rubric judge when judging is on;
each returns one inspect Score whose value is a dict per instrument or criterion.

A conversation that ends in an error (a persona that broke character in every sample, a failed
call) or a judge that fails makes the sample an inspect error: non-evaluable, never a low score,
as in a run. Set EMPATHY_SIM_IMPORT to register custom litellm providers, as for the CLI.
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, ModelOutput, get_model
from inspect_ai.scorer import Score, Scorer, Target, mean, scorer, stderr
from inspect_ai.solver import Generate, Solver, TaskState, solver

from simulator import api
from simulator.core.card_loader import load_persona, load_scenario
from simulator.core.records import Conversation, ModelSpec, PersonaState, RunKey
from simulator.integrations.inspect_provider import SUBJECT, ensure_inspect_provider
from simulator.run.config import RunConfig
from simulator.run.plugins import import_plugins

STORE_KEY = "empathy_sim"  # where the solver leaves the finished conversation for the scorers


class ConversationFailed(RuntimeError):
    """The conversation is non-evaluable (typed stop reason); inspect records the sample as an error."""


def _list(v: str | list[str] | None) -> list[str] | None:
    if v is None:
        return None
    return [s.strip() for s in v.split(",") if s.strip()] if isinstance(v, str) else list(v)


def task_config(personas: str | list[str] | None = None, scenarios: str | list[str] | None = None,
                max_turns: int | None = None, seeds: list[int] | None = None, persona_model: str | None = None,
                judge: bool | None = None, judge_model: str | None = None, judge_method: str | None = None,
                fidelity_gate: bool | None = None, config: dict[str, Any] | None = None) -> RunConfig:
    """The packaged defaults, the task's arguments, then `config` (dotted keys), with the subject
    set to inspect's model under test."""
    over: dict[str, Any] = {}
    for key, value in (("persona", _list(personas)), ("scenario", _list(scenarios)), ("max_turns", max_turns),
                       ("seeds", seeds), ("models.persona.model", persona_model), ("judge.enabled", judge),
                       ("models.judge.model", judge_model), ("judge.method", judge_method),
                       ("run.fidelity_gate", fidelity_gate)):
        if value is not None:
            over[key] = value
    over.update(config or {})
    over["models.subject.model"] = SUBJECT
    return api.config(over)


@task
def empathy_sim(personas: str | list[str] | None = None, scenarios: str | list[str] | None = None,
                max_turns: int | None = None, seeds: list[int] | None = None, persona_model: str | None = None,
                judge: bool | None = None, judge_model: str | None = None, judge_method: str | None = None,
                fidelity_gate: bool | None = None, config: dict[str, Any] | None = None) -> Task:
    """Persona × scenario conversations with inspect's model as the subject; arguments as in
    `empathy-sim` (personas, scenarios: ids or comma lists; None: the packaged default suite)."""
    import_plugins()
    cfg = task_config(personas, scenarios, max_turns, seeds, persona_model, judge, judge_model, judge_method,
                      fidelity_gate, config)
    samples = [sample(k) for k in api.plan(cfg)]
    scorers = [instruments()]
    if cfg.judge.enabled:
        j = cfg.judge
        scorers += [rubric_judge(spec.model_dump(mode="json"), method=j.method, rubric=j.rubric,
                                 structured=j.structured) for spec in _judge_specs(cfg)]
    return Task(dataset=MemoryDataset(samples, name="empathy-sim"),
                solver=persona_conversation(cfg.model_dump(mode="json")), scorer=scorers,
                metadata={"empathy_sim_config_hash": cfg.config_hash()})


def _judge_specs(cfg: RunConfig) -> list[ModelSpec]:
    from simulator.run.runner import judge_specs

    return judge_specs(cfg)


def sample(key: RunKey) -> Sample:
    persona, scenario = load_persona(key.persona), load_scenario(key.scenario)
    return Sample(
        id=key.record_id(),
        input=f"{persona.name} ({persona.id}) in the scenario {scenario.title!r} ({scenario.id}, seed {key.seed})",
        metadata={"key": key.model_dump(mode="json"), "persona": persona.id, "scenario": scenario.id,
                  "seed": key.seed, "theme": scenario.theme, "task_type": scenario.task_type},
    )


def _gateway_factory():
    """One Gateway per solver or scorer, built on first use (inside inspect's event loop). No call
    cache: inspect has its own for the subject."""
    gateway = None

    def get():
        nonlocal gateway
        if gateway is None:
            from simulator.llm.gateway import GatewaySettings, build_gateway

            ensure_inspect_provider()
            gateway = build_gateway(GatewaySettings())
        return gateway

    return get


def transcript(conv: Conversation, subject: str, system: str | None) -> list:
    """The conversation as inspect messages: persona turns as user, subject replies as assistant."""
    out: list = [ChatMessageSystem(content=system)] if system else []
    for t in conv.turns:
        meta = {"turn": t.index, "speaker": t.speaker, **({"beats": t.beats} if t.beats else {})}
        if t.speaker == "persona":
            out.append(ChatMessageUser(content=t.text, source="generate", metadata=meta))
        else:
            out.append(ChatMessageAssistant(content=t.text, source="generate", model=subject, metadata=meta))
    return out


@solver
def persona_conversation(run_config: dict) -> Solver:
    """This project's persona ⇄ subject loop, inspect's model under test as the subject."""
    from simulator.conversation.graph import build_graph
    from simulator.llm.usage_scope import usage_scope
    from simulator.run.runner import conversation_context, converse

    cfg = RunConfig.model_validate(run_config)
    gateway = _gateway_factory()
    graph = build_graph()

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        key = RunKey.model_validate(state.metadata["key"])
        subject = str(get_model())
        ctx = conversation_context(cfg, key, gateway())
        usage: dict = {}
        with usage_scope(usage):
            conv, trajectory = await converse(ctx, cfg.max_turns or ctx.scenario.max_turns, graph)
        state.messages = transcript(conv, subject, cfg.subject_system_prompt)
        state.store.set(STORE_KEY, {"conversation": conv.model_dump(mode="json"), "subject": subject,
                                    "trajectory": [s.model_dump(mode="json") for s in trajectory]})
        state.metadata.update(stop_reason=conv.stop_reason, usage={r: u.model_dump() for r, u in usage.items()},
                              fidelity_issues=[i.model_dump() for i in conv.fidelity_issues])
        if conv.error is not None:
            raise ConversationFailed(f"{conv.stop_reason}: {conv.error.kind}: {conv.error.message}")
        replies = conv.subject_turns()
        state.output = ModelOutput.from_content(model=subject, content=replies[-1].text if replies else "")
        return state

    return solve


def finished(state: TaskState):
    """The FinishedConversation the solver left (cards re-loaded by id, as the run store does)."""
    from judges.seam import FinishedConversation

    stored = state.store.get(STORE_KEY)
    if stored is None:
        raise RuntimeError("empathy_sim scorers need the persona_conversation solver to run first")
    key = RunKey.model_validate(state.metadata["key"])
    return FinishedConversation(
        persona=load_persona(key.persona), scenario=load_scenario(key.scenario),
        conversation=Conversation.model_validate(stored["conversation"]),
        trajectory=[PersonaState.model_validate(s) for s in stored["trajectory"]],
        seed=key.seed, subject_model=stored["subject"])


def _numbers(d: dict) -> dict[str, float]:
    return {k: float(v) for k, v in d.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


@scorer(metrics={"*": [mean(), stderr()]})
def instruments() -> Scorer:
    """Every deterministic instrument family over the conversation (its conversation-level numbers)."""
    from simulator.run.scoring import instrument_scorers, score_conversation

    async def score(state: TaskState, target: Target) -> Score:
        scored = await score_conversation(finished(state), instrument_scorers())
        if scored.error is not None:
            raise RuntimeError(f"instrument failed: {scored.error.kind}: {scored.error.message}")
        overall = scored.instruments["conversation"]
        value = _numbers(overall)
        return Score(value=value, explanation=", ".join(f"{k}={v:g}" for k, v in value.items()),
                     metadata={"per_turn": scored.instruments["per_turn"], "conversation": overall})

    return score


@scorer(metrics={"*": [mean(), stderr()]})
def rubric_judge(judge: dict, method: str = "auto", rubric: str = "relational_empathy",
                 structured: str = "schema") -> Scorer:
    """The rubric judge (probability or structured method) on the whole conversation: 1-5 per
    criterion, 5 = no failure."""
    from simulator.run.scoring import judge_scorers, score_conversation

    spec = ModelSpec.model_validate(judge)
    gateway = _gateway_factory()

    async def score(state: TaskState, target: Target) -> Score:
        scorers = judge_scorers(gateway(), [spec], method=method, rubric_id=rubric, structured=structured)
        scored = await score_conversation(finished(state), scorers)
        v = scored.verdicts[0]
        if v.status != "ok":
            err = v.error
            raise RuntimeError(f"judge {spec.model} failed: {err.kind if err else 'error'}: {err.message if err else ''}")
        value = {c: s.number for c, s in v.scores.items()}
        lines = [f"{c}: {s.number:.2f}" + (f" ({s.rationale})" if s.rationale else "") for c, s in v.scores.items()]
        if v.overall_rationale:
            lines.append(v.overall_rationale)
        return Score(value=value, explanation="\n".join(lines),
                     metadata={"judge": spec.model, "method": v.method, "verdict": v.model_dump(mode="json")})

    return score
