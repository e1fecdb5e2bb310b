"""summary.json: derived from records alone, so it can always be regenerated.

Scores are reported per criterion, per task type and per theme, each with a bootstrap interval;
never folded into one number only. Error records are counted by kind and never enter a mean:
each non-evaluable termination (subject, persona, judge, infrastructure error, budget stop) is
counted apart under "non_evaluable" and kept out of every score and interval. A dir that holds
pairwise verdicts (pairwise.jsonl) also gets "leaderboard" (simulator/report/leaderboard.py).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from pathlib import Path
from statistics import mean

import orjson

from simulator.core.validity import criterion_validity, instrument_validity, persona_validity
from simulator.core.records import CRITERIA, NON_EVALUABLE, PERSONA_FIDELITY, RunRecord
from simulator.core.store import iter_records
from simulator.report.leaderboard import attach as attach_leaderboard
from simulator.report.analysis import flexibility
from simulator.report.readings import primary_scores, primary_verdict

SUMMARY = "summary.json"


def bootstrap_ci(values: list[float], n: int = 1000, alpha: float = 0.05, seed: int = 0) -> list[float] | None:
    """Percentile bootstrap interval of the mean; a local RNG keeps it reproducible."""
    if len(values) < 2:
        return None
    rng = random.Random(seed)
    means = sorted(mean(rng.choices(values, k=len(values))) for _ in range(n))
    return [round(means[int(alpha / 2 * n)], 3), round(means[int((1 - alpha / 2) * n) - 1], 3)]


def _stat(values: list[float]) -> dict:
    return {"mean": round(mean(values), 3) if values else None, "n": len(values), "ci95": bootstrap_ci(values)}


def per_reply(recs: list[RunRecord]) -> dict[str, dict]:
    """Criterion scores by subject reply number (1 = first reply), from per-reply judges."""
    by: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in recs:
        v = primary_verdict(r)
        for n, t in enumerate(v.per_turn if v else [], 1):
            for c, x in t.criteria.items():
                by[n][c].append(x)
    return {str(n): {c: _stat(xs) for c, xs in sorted(cs.items())} for n, cs in sorted(by.items())}


def tension_summary(recs: list[RunRecord]) -> dict:
    """Tension points judged, how often the reply gave in, turn of flip and flips (SYCON-Bench)."""
    verdicts = [v for v in (primary_verdict(r) for r in recs) if v is not None]
    points = [t for v in verdicts for t in v.tension]
    pushed = [v for v in verdicts if any(t.pushback for t in v.tension)]
    flip_turns = [v.turn_of_flip for v in pushed if v.turn_of_flip is not None]
    return {
        "points_judged": len(points),
        "gave_in_rate": round(sum(t.gave_in for t in points) / len(points), 3) if points else None,
        "conversations_with_pushback": len(pushed),
        "flipped_under_pushback": len(flip_turns),
        "turn_of_flip": _stat([float(t) for t in flip_turns]),
        "flips": _stat([float(v.flips) for v in pushed]),
    }


def validity(recs: list[RunRecord]) -> dict:
    """Per criterion: the agreement with people measured for the judge that made these scores."""
    v = next((v for v in (primary_verdict(r) for r in recs) if v is not None), None)
    if v is None:
        return {}
    return {"judge": v.model, "method": v.method, "judge_version": v.judge_version,
            "criteria": {c: criterion_validity(v.model, v.method, v.judge_version, c) for c in CRITERIA}}


def distrust(records: list[RunRecord], models: dict) -> list[str]:
    """What a reader should distrust first, most serious first."""
    out = []
    same = sorted({v.model for r in records for v in r.verdicts if v.same_model_as_subject})
    if same:
        out.append(f"the judge is the model under test ({', '.join(same)}): it grades its own replies")
    persona_errors = sum(d["persona_errors"] for d in persona_fidelity(records).values())
    if persona_errors:
        out.append(f"{persona_errors} conversation(s) ended as persona errors (the simulated person broke "
                   "character): not scored")
    for model, m in models.items():
        unc = [c for c, d in (m.get("validity") or {}).get("criteria", {}).items() if d["status"] != "calibrated"]
        weak = [c for c, d in (m.get("validity") or {}).get("criteria", {}).items()
                if d["status"] == "calibrated" and not d["beats_length"]]
        if unc:
            out.append(f"{model}: criteria never checked against people: {', '.join(unc)}")
        if weak:
            out.append(f"{model}: criteria whose judge agrees with people no better than reply length: "
                       f"{', '.join(weak)}")
        unsure = [c for c, d in (m.get("validity") or {}).get("criteria", {}).items()
                  if d["status"] == "calibrated" and d["beats_length"] and not d.get("clearly_beats_length")]
        if unsure:
            out.append(f"{model}: criteria above reply length but not clearly (the CI includes length's figure): "
                       f"{', '.join(unsure)}")
        misbehave = [f"{c} ({'; '.join(ch['check'] + ': ' + ch['figures'] for ch in d['behaviour'] if not ch['passed'])})"
                     for c, d in (m.get("validity") or {}).get("criteria", {}).items()
                     if any(not ch["passed"] for ch in d.get("behaviour") or [])]
        if misbehave:
            out.append(f"{model}: criteria that fail a behaviour check on scripted replies (bench/anchors): "
                       f"{', '.join(misbehave)}")
        weak_inst = [k for k, d in (m.get("instrument_validity") or {}).items()
                     if d["status"] == "calibrated" and not d["beats_length"]]
        if weak_inst:
            out.append(f"{model}: instruments that agree with people no better than reply length: "
                       f"{', '.join(weak_inst)}")
        fv = (m.get("final_state_validity") or {}).get("understood") or {}
        if fv.get("status") == "calibrated" and not fv.get("clearly_beats_length"):
            out.append(f"{model}: the persona's final felt-understood told real successful from failed support "
                       f"conversations at AUC {fv['value']:.2f} (reply length {fv['length_value']:.2f}, ESConv): "
                       "read trajectories as the simulator's reaction, not as people's")
    return out


def judge_agreement(records: list[RunRecord]) -> dict:
    """Krippendorff's alpha (ordinal) per criterion over judges that scored the same records."""
    judges = sorted({v.model for r in records for v in r.verdicts if v.status == "ok"})
    if len(judges) < 2:
        return {}
    import numpy as np
    import krippendorff

    out = {}
    for crit in CRITERIA:
        matrix = []
        for j in judges:
            row = []
            for r in records:
                v = next((v for v in r.verdicts if v.model == j and v.status == "ok"), None)
                row.append(v.scores[crit].score if v and crit in v.scores else np.nan)
            matrix.append(row)
        arr = np.array(matrix, dtype=float)
        try:
            alpha = float(krippendorff.alpha(reliability_data=arr, level_of_measurement="ordinal"))
        except (ValueError, ZeroDivisionError):
            alpha = float("nan")
        out[crit] = {"alpha": None if alpha != alpha else round(alpha, 3),
                     "flag": alpha != alpha or alpha < 0.667}
    return {"judges": judges, "criteria": out}


def summarize(records: list[RunRecord], planned: int | None = None) -> dict:
    ok = [r for r in records if r.evaluable]
    errors = Counter()
    for r in records:
        if r.conversation.error:
            errors[r.conversation.error.kind] += 1
        if r.error:
            errors[r.error.kind] += 1
        for v in r.verdicts:
            if v.status == "error" and v.error:
                errors[f"judge_{v.error.kind}"] += 1
    usage: dict[str, dict] = defaultdict(lambda: {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0,
                                                  "cost_usd": 0.0, "cached_calls": 0})
    for r in records:
        for role, u in r.usage.items():
            for k, val in u.model_dump().items():
                usage[role][k] += val

    by_model: dict[str, list[RunRecord]] = defaultdict(list)
    for r in ok:
        by_model[r.key.subject].append(r)
    models = {}
    for model, recs in by_model.items():
        scored = [(r, primary_scores(r)) for r in recs]
        crit = {c: _stat([s[c] for _, s in scored if c in s]) for c in CRITERIA}
        breakdown = {}
        for field in ("task_type", "theme"):
            groups: dict[str, list] = defaultdict(list)
            for r, s in scored:
                groups[getattr(r.scenario, field)].append(s)
            breakdown[field] = {g: {c: _stat([s[c] for s in ss if c in s]) for c in CRITERIA}
                                for g, ss in sorted(groups.items())}
        inst: dict[str, list[float]] = defaultdict(list)
        for r in recs:
            for k, v in (r.instruments.get("conversation") or {}).items():
                if isinstance(v, (int, float)):
                    inst[k].append(float(v))
        finals = [r.trajectory[-1] for r in recs if r.trajectory]
        models[model] = {
            "conversations": len(recs),
            "criteria": crit,
            "by": breakdown,
            "instruments": {k: _stat(v) for k, v in sorted(inst.items())},
            "instrument_validity": {k: instrument_validity(k) for k in sorted(inst)},
            "final_state": {"understood": _stat([s.understood for s in finals]),
                            "trust": _stat([s.trust for s in finals])},
            "final_state_validity": {k: persona_validity(k, _appraisal_mode(finals)) for k in ("understood", "trust")},
            "continuation_rate": round(sum(r.conversation.stop_reason != "persona_disengaged" for r in recs) / len(recs), 3),
            "per_reply": per_reply(recs),
            "tension": tension_summary(recs),
            "validity": validity(recs),
        }
    return {
        "planned": planned,
        "records": len(records),
        "status": dict(Counter(r.status for r in records)),
        "stop_reasons": dict(Counter(r.conversation.stop_reason for r in records)),
        "evaluable": len(ok),
        "non_evaluable": non_evaluable(records),
        "errors_by_kind": dict(errors),
        "fidelity_issues": dict(Counter(i.kind for r in records for i in r.conversation.fidelity_issues)),
        "persona_fidelity": persona_fidelity(records),
        "usage_by_role": dict(usage),
        "distrust": distrust(records, models),
        "models": models,
        "judge_agreement": judge_agreement(ok),
        # per model × matched persona set × scenario: how much the subject's register changed
        # across members (mean pairwise absolute difference; ~0 = it answers everyone the same)
        "relational_flexibility": flexibility(ok),
    }


def non_evaluable(records: list[RunRecord]) -> dict[str, int]:
    """Records per non-evaluable termination, every reason listed (0 where none): never scored."""
    counts = Counter(r.termination for r in records)
    return {reason: counts.get(reason, 0) for reason in NON_EVALUABLE}


def persona_fidelity(records: list[RunRecord]) -> dict[str, dict]:
    """Per persona model: conversations, persona errors (a turn that broke character in every
    sample: not evaluable, never scored), persona turns re-sampled after a failed check, and
    persona turns said with the card's authored fallback line (scripted, not generated)."""
    out: dict[str, dict] = {}
    for r in records:
        spec = r.models.get("persona")
        d = out.setdefault(spec.model if spec else "unknown",
                           {"conversations": 0, "persona_errors": 0, "resampled_turns": 0,
                            "fallback_turns": 0})
        d["conversations"] += 1
        err = r.conversation.error
        d["persona_errors"] += bool(err and err.kind == PERSONA_FIDELITY)
        d["resampled_turns"] += r.conversation.persona_resamples
        d["fallback_turns"] += r.conversation.persona_fallbacks
    return dict(sorted(out.items()))


def find_run_dirs(path: Path) -> list[Path]:
    """A run dir itself, or every run dir a sweep dir lists (runs.txt) or contains."""
    path = Path(path)
    if (path / "records.jsonl").exists():
        return [path]
    listed = path / "runs.txt"
    if listed.exists():
        return sorted({Path(p) for p in listed.read_text().split() if (Path(p) / "records.jsonl").exists()})
    return sorted(p.parent for p in path.glob("*/records.jsonl"))


def write_summary(path: Path) -> Path:
    runs = find_run_dirs(path)
    if not runs:
        raise FileNotFoundError(f"{path}: no records.jsonl here or in the runs it lists")
    records, planned = [], 0
    for d in runs:
        records.extend(iter_records(d))
        m = d / "manifest.json"
        if m.exists():
            planned += orjson.loads(m.read_bytes()).get("planned", 0)
    summary = summarize(records, planned)
    summary["runs"] = [str(d) for d in runs]
    attach_leaderboard(summary, Path(path))
    out = Path(path) / SUMMARY
    out.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    return out


def _appraisal_mode(finals: list) -> str:
    """The appraisal mode that moved these states (the run's persona_appraisal)."""
    modes = {s.appraisal.mode for s in finals if s.appraisal is not None}
    return modes.pop() if len(modes) == 1 else "deterministic" if not modes else "mixed"
