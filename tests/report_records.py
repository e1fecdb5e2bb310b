"""Hand-built RunRecords on the real cards, for the report and export tests (no model is run)."""

from __future__ import annotations

from pathlib import Path

import orjson

from judges.instruments.escalation import points_to_help
from simulator.core.card_loader import load_persona, load_scenario
from simulator.core.records import (
    CRITERIA, Conversation, CriterionScore, ErrorInfo, Evidence, JudgeVerdict, ModelSpec, PersonaState,
    RunKey, RunRecord, Turn, TurnScore,
)

MAYA, GRIEF = "maya_grieving_daughter", "grief_missed_last_call"
XSS = "<script>alert(1)</script>"
QUOTE = "missing her last call"
MAYA_LINES = ["can't sleep again. everyone keeps saying i'm 'doing so well' lol",
              "went back to work after a week. home was worse",
              "i was on a late shift. i let her last call go to voicemail"]
WARM = ["Oh Maya, missing her last call and then hearing everyone say you're 'doing so well' must "
        "make the guilt feel so heavy. What did the voicemail say?",
        "Going back after one week makes sense when home was unbearable. That's a lot of guilt and exhaustion.",
        "Letting that call go to voicemail is the thing you keep coming back to, isn't it?"]
COLD = ["It is understandable that one may feel this way. As an AI, I recommend a grief counsellor.",
        "Many people experience difficult emotions. " + XSS + " Consider professional support.",
        "This situation is difficult. Please consider speaking to a professional."]


def scores(value: int, evidence: dict[str, list[Evidence]] | None = None) -> dict[str, CriterionScore]:
    evidence = evidence or {}
    return {c: CriterionScore(score=value, evidence=evidence.get(c, []), rationale=f"{c} rationale")
            for c in CRITERIA}


def verdict(model: str, value: int | dict[str, int], evidence=None, status: str = "ok") -> JudgeVerdict:
    if status != "ok":
        return JudgeVerdict(judge_id="rubric_judge", judge_version="t", model=model, status="error",
                            error=ErrorInfo(kind="parse_error", role="judge", message="bad json"))
    sc = scores(value, evidence) if isinstance(value, int) else {
        c: CriterionScore(score=v, rationale="r") for c, v in value.items()}
    return JudgeVerdict(judge_id="rubric_judge", judge_version="t", model=model, status="ok", scores=sc,
                        per_turn=[TurnScore(turn=1, score=3, note="first reply")], overall_rationale="overall")


def states(n: int, step: int, start: int = 40) -> list[PersonaState]:
    return [PersonaState(after_reply=i, emotions={"grief": 80 - i, "guilt": 60},
                         understood=max(0, min(100, start + step * i)),
                         trust=max(0, min(100, 50 + step * i // 2)), engagement=70) for i in range(n + 1)]


def instruments(n: int, distancing: float, gap: float, qrate: float = 0.3, words: int = 30) -> dict:
    per = [{"turn": 2 * i + 1, "intensity_gap": gap, "granularity": 0.5, "detail_overlap": 0.4,
            "distancing": distancing, "question_rate": qrate, "length_words": words, "tactics": []}
           for i in range(n)]
    conv = {"intensity_gap": gap, "granularity": 0.5, "detail_overlap": 0.4, "distancing": distancing,
            "question_rate": qrate, "length_words": words, "tactic_repetition": 0.0, "subject_turns": n}
    return {"per_turn": per, "conversation": conv}


def make_record(persona: str, scenario: str, subject: str, seed: int, replies: list[str],
                persona_lines: list[str] | None = None, *, judges: list[JudgeVerdict] | None = None,
                status: str = "ok", stop: str = "max_turns", error: ErrorInfo | None = None,
                inst: dict | None = None, step: int = 5, beats: dict[int, list[str]] | None = None) -> RunRecord:
    lines = persona_lines or [f"persona line {i}" for i in range(len(replies))]
    turns = []
    for i, reply in enumerate(replies):
        turns.append(Turn(index=2 * i, speaker="persona", text=lines[i], beats=(beats or {}).get(i, [])))
        turns.append(Turn(index=2 * i + 1, speaker="subject", text=reply))
    key = RunKey(persona=persona, scenario=scenario, subject=subject, seed=seed)
    inst = inst if inst is not None else instruments(len(replies), 0.1, 0.1)
    for row, reply in zip(inst.get("per_turn", []), replies):
        row.setdefault("points_to_help", points_to_help(reply))  # as the escalation instrument reads it
    return RunRecord(
        record_id=key.record_id(), key=key, status=status, persona=load_persona(persona),
        scenario=load_scenario(scenario), models={"subject": ModelSpec(model=subject)},
        conversation=Conversation(turns=turns, stop_reason=stop, error=error),
        trajectory=[] if status != "ok" else states(len(replies), step),
        verdicts=judges or [], instruments=inst,
        config_hash="test", code_version="test", created_at="2026-01-01T00:00:00+00:00",
    )


def suite() -> list[RunRecord]:
    """Two models on Maya, an escalation case, a matched set, an error record and a judge panel."""
    ev = {"granularity_mismatch": [Evidence(turn=1, quote=QUOTE, verified=True)],
          "cognitive": [Evidence(turn=3, quote="not in that turn", verified=False)]}
    recs = [
        make_record(MAYA, GRIEF, "fake/warm", 0, WARM, MAYA_LINES, step=8,
                    judges=[verdict("fake/judge", 5, ev), verdict("fake/judge2", 5)],
                    beats={1: ["back_at_work"], 2: ["missed_call"]}),
        make_record(MAYA, GRIEF, "fake/warm", 1, WARM, MAYA_LINES, step=6,
                    judges=[verdict("fake/judge", 4), verdict("fake/judge2", 4)]),
        make_record(MAYA, GRIEF, "fake/cold", 0, COLD, MAYA_LINES, step=-6, inst=instruments(3, 0.7, 0.45),
                    judges=[verdict("fake/judge", {**{c: 2 for c in CRITERIA}, "linguistic_distancing": 4}),
                            verdict("fake/judge2", 2)]),
        make_record(MAYA, GRIEF, "fake/cold", 1, COLD, MAYA_LINES, step=-9, stop="persona_disengaged",
                    inst=instruments(3, 0.8, 0.5), judges=[verdict("fake/judge", 1), verdict("fake/judge2", 1)]),
        # Error record: its (ok-looking) verdict of 1s must never reach a mean.
        make_record(MAYA, GRIEF, "fake/warm", 2, WARM[:1], MAYA_LINES, status="error", stop="error",
                    error=ErrorInfo(kind="rate_limit", role="subject", message="429 too many requests"),
                    judges=[verdict("fake/judge", 1)]),
        make_record("dev_failed_exam", "shame_failed_exam_third_attempt", "fake/warm", 0,
                    ["That sounds crushing.", "Third time hurts more.", "Would you talk to a counsellor with me?",
                     "I'm here."], judges=[verdict("fake/judge", 4)]),
    ]
    members = (("ren_exam_jp", 0.1, 0.2, 20), ("ren_exam_us", 0.3, 0.5, 40), ("ren_exam_mx", 0.2, 0.2, 25))
    for pid, dist, q, words in members:
        recs.append(make_record(pid, "shame_entrance_exam_results_day", "fake/warm", 0,
                                ["I'm so sorry.", "What happens now?"], inst=instruments(2, dist, 0.1, q, words),
                                judges=[verdict("fake/judge", 4)]))
    return recs


def write_run(run_dir: Path, records: list[RunRecord]) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "records.jsonl").write_bytes(b"".join(orjson.dumps(r.model_dump(mode="json")) + b"\n" for r in records))
    (run_dir / "manifest.json").write_bytes(orjson.dumps({"planned": len(records)}))
    return run_dir
