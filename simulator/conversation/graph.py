"""The conversation graph: persona ⇄ subject, with the persona's appraisal between them.

    START → persona → subject → appraise → persona → … → END

Routing functions are pure functions of the state (the turn limit lives there); nodes do the
model calls. Judging is not in the graph, so conversations can be re-judged without re-running.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langchain_core.runnables import RunnableConfig

from simulator.conversation.appraisal import context_from_turns, should_disengage, update_state
from simulator.conversation.appraisal_llm import appraise_reply
from simulator.core.cards import Persona, Scenario
from simulator.llm.call import BudgetExceeded, Gateway, ModelCallError
from simulator.conversation.persona_prompt import subject_messages
from simulator.conversation.persona_turn import speak
from simulator.core.records import PERSONA_FIDELITY, ErrorInfo, FidelityIssue, ModelSpec, PersonaState, StopReason, Turn, error_reason


class ConvState(TypedDict, total=False):
    turns: list[Turn]
    states: list[PersonaState]
    replies: int
    max_turns: int
    persona_ended: bool
    disengage_pending: bool
    disengaged: bool
    error: ErrorInfo | None
    fidelity: list[FidelityIssue]
    persona_resamples: int
    persona_fallbacks: int


@dataclass
class ConvContext:
    persona: Persona
    scenario: Scenario
    gateway: Gateway
    persona_spec: ModelSpec
    subject_spec: ModelSpec
    subject_system: str | None
    seed: int
    max_tokens: int | None = None  # per-conversation cap (persona + subject)
    appraisal: str = "deterministic"  # persona_appraisal: deterministic, llm or hybrid
    persona_form: str = "chat"     # "script" (raw completion), "chat" or "authored"; persona_turn.py
    persona_resamples: int = 0     # re-samples of a persona turn that fails the fidelity check
    fidelity_gate: bool = True     # False: issues are recorded only (no re-sample, no persona error)
    persona_candidates: int = 1    # samples per try, ranked by the in-character scorer
    in_character_scorer: bool = False  # the persona model's P(in character) joins the check
    persona_fallback: bool = False  # an authored card line when every sample of a turn fails
    persona_examples: int = 0      # the card's in-voice lines in the script header (few-shot)


# ------------------------------------------------------------------ pure routing


def stop_reason(state: ConvState) -> StopReason | None:
    if err := state.get("error"):
        return error_reason(err)  # typed: subject / persona / infrastructure error or budget stop
    if state.get("disengaged"):
        return "persona_disengaged"
    if state.get("persona_ended"):
        return "persona_ended"
    if state.get("replies", 0) >= state["max_turns"]:
        return "max_turns"
    return None


def _over_cap(ctx: ConvContext) -> ErrorInfo | None:
    from simulator.llm.usage_scope import scope_tokens

    spent = scope_tokens()
    if ctx.max_tokens is not None and spent >= ctx.max_tokens:
        return ErrorInfo(kind="token_cap", message=f"conversation used {spent} tokens; cap is {ctx.max_tokens}")
    return None


def route_after_persona(state: ConvState) -> str:
    return END if stop_reason(state) else "subject"


def route_after_subject(state: ConvState) -> str:
    return END if state.get("error") else "appraise"


def route_after_appraise(state: ConvState) -> str:
    return END if stop_reason(state) else "persona"


def all_fallback_error(turns: list[Turn]) -> ErrorInfo | None:
    """Every generated persona turn replaced by an authored line: the persona model never stayed
    in character, so the conversation is a persona error (a script, not a simulation)."""
    said = [t for t in turns if t.speaker == "persona"][1:]  # the opening may be the card's own
    if said and all(t.fallback for t in said):
        return ErrorInfo(kind=PERSONA_FIDELITY, role="persona", message=(
            f"all {len(said)} persona turns after the opening were authored fallback lines: "
            "no generated sample stayed in character"))
    return None


# ------------------------------------------------------------------ nodes


def _ctx(config: RunnableConfig) -> ConvContext:
    return config["configurable"]["ctx"]


def _internal_error(role: str, exc: BaseException) -> ErrorInfo:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    loc = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else ""
    return ErrorInfo(kind="internal", role=role, message=f"{type(exc).__name__}: {exc}{loc}"[:500])


def _opening_fits(persona: Persona, scenario: Scenario) -> bool:
    """Use the scripted opening verbatim only when it is in the persona's language."""
    if not scenario.opening:
        return False
    lang = (scenario.language or "en").split("-")[0]
    return lang == persona.language.split("-")[0]


async def persona_node(state: ConvState, config: RunnableConfig) -> dict:
    ctx = _ctx(config)
    if cap := _over_cap(ctx):
        return {"error": cap}
    turns, current = state["turns"], state["states"][-1]
    closing = bool(state.get("disengage_pending"))
    n = sum(1 for t in turns if t.speaker == "persona") + 1  # 1-based persona turn number
    beats = [] if closing else [b for b in ctx.scenario.beats if b.at_turn == n]
    start = time.perf_counter()
    samples: list = []
    failed = False
    fallback = None
    try:
        if n == 1 and _opening_fits(ctx.persona, ctx.scenario):
            text, ended = ctx.scenario.opening.strip(), False  # type: ignore[union-attr]
        else:
            spoken = await speak(
                ctx.gateway, ctx.persona_spec, ctx.persona_form, ctx.persona, ctx.scenario,
                current, turns, beats, seed=ctx.seed * 1000 + n, resamples=ctx.persona_resamples,
                closing=closing, replies_so_far=state.get("replies", 0), gate=ctx.fidelity_gate,
                candidates=ctx.persona_candidates, scorer=ctx.in_character_scorer,
                fallback=ctx.persona_fallback, examples=ctx.persona_examples,
            )
            text, ended, failed, samples = spoken.text, spoken.ended, spoken.failed, spoken.samples
            fallback = spoken.fallback
    except BudgetExceeded:
        raise
    except ModelCallError as e:
        return {"error": e.info}
    except Exception as e:  # noqa: BLE001 - a bug must become an error record, not lost work
        return {"error": _internal_error("persona", e)}
    issues = [i for s in samples for i in s.issues]
    if ended and not closing and state.get("replies", 0) < ctx.scenario.min_turns:
        issues.append(FidelityIssue(kind="ended_too_early", turn=len(turns),
                                    detail=f"ended after {state.get('replies', 0)} replies"))
        ended = False
    turn = Turn(index=len(turns), speaker="persona", text=text, beats=[b.id for b in beats],
                latency_s=time.perf_counter() - start, fallback=fallback is not None)
    out = {
        "turns": turns + [turn],
        "persona_ended": ended and not closing,
        "disengaged": closing,
        "fidelity": state.get("fidelity", []) + issues,
        "persona_resamples": state.get("persona_resamples", 0) + max(0, len(samples) - 1),
        "persona_fallbacks": state.get("persona_fallbacks", 0) + (fallback is not None),
    }
    if failed:
        # The persona could not stay in character for this turn: the conversation is not
        # evaluable. The failed turn is kept (shown in the report); the record is never scored.
        kinds = sorted({i.kind for i in samples[-1].issues})
        out["error"] = ErrorInfo(kind=PERSONA_FIDELITY, role="persona", message=(
            f"persona turn {len(turns)} failed the fidelity check in all {len(samples)} samples "
            f"({', '.join(kinds)})"))
    return out


async def subject_node(state: ConvState, config: RunnableConfig) -> dict:
    ctx = _ctx(config)
    if cap := _over_cap(ctx):
        return {"error": cap}
    turns = state["turns"]
    start = time.perf_counter()
    try:
        comp = await ctx.gateway.complete(
            ctx.subject_spec, subject_messages(ctx.subject_system, turns), role="subject",
            seed=ctx.seed * 1000 + state.get("replies", 0) + 1,
        )
    except BudgetExceeded:
        raise
    except ModelCallError as e:
        return {"error": e.info}
    except Exception as e:  # noqa: BLE001
        return {"error": _internal_error("subject", e)}
    turn = Turn(index=len(turns), speaker="subject", text=comp.text,
                latency_s=time.perf_counter() - start)
    return {"turns": turns + [turn], "replies": state.get("replies", 0) + 1}


async def appraise_node(state: ConvState, config: RunnableConfig) -> dict:
    ctx = _ctx(config)
    turns = state["turns"]
    prev = state["states"][-1]
    try:
        actx = context_from_turns(ctx.persona, ctx.scenario, turns, state["states"])
        a = await appraise_reply(ctx.appraisal, turns[-1].text, actx, prev, gateway=ctx.gateway,
                                 spec=ctx.persona_spec, seed=ctx.seed * 1000 + 500 + len(turns))
    except BudgetExceeded:
        raise
    except ModelCallError as e:
        return {"error": e.info}
    except Exception as e:  # noqa: BLE001
        return {"error": _internal_error("persona", e)}
    nxt = update_state(prev, a, ctx.persona)
    return {
        "states": state["states"] + [nxt],
        "disengage_pending": should_disengage(nxt, ctx.scenario.min_turns),
    }


def build_graph():
    g = StateGraph(ConvState)
    g.add_node("persona", persona_node)
    g.add_node("subject", subject_node)
    g.add_node("appraise", appraise_node)
    g.add_edge(START, "persona")
    g.add_conditional_edges("persona", route_after_persona, ["subject", END])
    g.add_conditional_edges("subject", route_after_subject, ["appraise", END])
    g.add_conditional_edges("appraise", route_after_appraise, ["persona", END])
    return g.compile()


def recursion_limit(max_turns: int) -> int:
    # Three nodes per exchange plus the opening and a closing line; a backstop, not the limit.
    return 3 * max_turns + 6
