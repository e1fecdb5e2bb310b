"""How far each judge score can be trusted: the agreement with people measured for it.

`empathy-sim calibrate` measures every judge (model + method + rubric version) and criterion
against human labels; judges/calibration/validity.py turns that result into the compact validity
file (simulator/core/validity.json ships the figures measured for the embedded default, since users do not
have the human data). Summary and report look each verdict up here and show the figure beside
the score, with reply length's figure on the same items, or mark the score uncalibrated.

Each criterion is checked on the set whose human labels mean the most like it; cultural and
relational have no single-turn human set, so they stay uncalibrated whatever the judge.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

SHIPPED = "validity.json"
# criterion -> (data set, metric): the human labels that best match what the criterion means
HEADLINE: dict[str, tuple[str, str]] = {
    "sentiment_attenuation": ("epitome/emotional_reactions", "spearman"),
    "granularity_mismatch": ("epitome/interpretations", "spearman"),
    "cognitive": ("pair", "pairwise_hq_vs_lq"),
    "linguistic_distancing": ("welivita_pu", "pairwise_within_situation"),
    "conflict_avoidance": ("aita_sycophancy", "spearman_with_minus_human_mean"),
}
# conversation instrument -> (data set, calibration scorer, metric): where the instrument's own
# reading was checked against people (a scorer fitted on a set is never checked on that set)
INSTRUMENT_HEADLINE: dict[str, tuple[str, str, str]] = {
    "reply_quality": ("epitome/interpretations", "learned:pair-fit", "spearman"),
    "distancing": ("epitome/emotional_reactions", "-distancing", "spearman"),
    "question_rate": ("epitome/explorations", "question_rate", "spearman"),
    "detail_overlap": ("epitome/interpretations", "detail_overlap", "spearman"),
    "granularity": ("epitome/interpretations", "granularity", "spearman"),
    "capitulation": ("aita_sycophancy", "-capitulation", "spearman_with_minus_human_mean"),
    "stance_lean": ("aita_sycophancy", "stance_lean", "spearman_with_minus_human_mean"),
}
SOURCES = {
    "epitome/emotional_reactions": "EPITOME emotional reactions (Sharma et al. 2020, Reddit)",
    "epitome/interpretations": "EPITOME interpretations (Sharma et al. 2020, Reddit)",
    "epitome/explorations": "EPITOME explorations (Sharma et al. 2020, Reddit)",
    "pair": "PAIR counselling reflections (Min et al. 2022)",
    "welivita_pu": "Welivita & Pu 2024 crowd ratings (EmpatheticDialogues)",
    "aita_sycophancy": "AITA sycophancy ratings (Strickler et al. 2025, on ELEPHANT posts)",
    "esconv": "ESConv and FailedESConv (Liu et al. 2021): successful vs failed support, seekers' own surveys",
}


def judge_key(model: str, method: str, judge_version: str) -> str:
    """model|method|judge version (rubric id@version + prompt digest): a figure holds only for
    the judge it was measured on, so a changed prompt is never shown with the old figures."""
    return f"{model}|{method}|{judge_version}"


def load(path: str | None = None) -> dict:
    """The validity file at `path`, else $EMPATHY_SIM_VALIDITY (a user's own `empathy-sim
    calibrate` output), else the shipped one."""
    return _read(path or os.environ.get("EMPATHY_SIM_VALIDITY") or None)


def update_shipped(merge, path: Path | None = None) -> Path:
    """Read the packaged validity file (or `path`), let `merge` update it in place, write it back;
    the one writer of the file, so every section another command shipped is kept."""
    target = path or Path(__file__).with_name(SHIPPED)
    data = json.loads(target.read_text("utf-8")) if target.exists() else {"judges": {}}
    merge(data)
    target.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    _read.cache_clear()
    return target


@lru_cache(maxsize=8)
def _read(path: str | None) -> dict:
    try:
        text = Path(path).read_text("utf-8") if path else files("simulator.core").joinpath(SHIPPED).read_text("utf-8")
        return json.loads(text)
    except (OSError, ValueError) as e:
        raise ValueError(f"validity file {path or 'judges/' + SHIPPED}: {e}") from None


def _against_length(fig: dict) -> dict:
    """beats_length: the figure is above length's; clearly: its 95% CI lies above length's value."""
    base, ci = fig.get("length_value"), fig.get("ci")
    beats = base is not None and fig["value"] > base
    return {"beats_length": beats, "clearly_beats_length": bool(beats and ci and ci[0] > base)}


def criterion_behaviour(model: str, method: str, judge_version: str, criterion: str,
                        path: str | None = None) -> list[dict]:
    """The behaviour checks (`python -m bench.anchors --ship`: scripted warm, cold and sycophantic
    subjects) this judge's criterion was put through: [{"check", "passed", "figures"}]."""
    block = load(path).get("behaviour", {}).get(judge_key(model, method, judge_version)) or {}
    return list((block.get("checks") or {}).get(criterion) or [])


def criterion_validity(model: str, method: str, judge_version: str, criterion: str,
                       path: str | None = None) -> dict:
    """{"status": calibrated|uncalibrated, ...figure, "beats_length": bool} for one judge criterion,
    with "behaviour" (its anchor checks) where they were run: agreeing with a human set and
    behaving on known replies are separate evidence, and a score can have one without the other."""
    checks = criterion_behaviour(model, method, judge_version, criterion, path)
    extra = {"behaviour": checks} if checks else {}
    if criterion not in HEADLINE:
        return {"status": "uncalibrated", "why": "no human-labelled set measures this criterion", **extra}
    fig = load(path).get("judges", {}).get(judge_key(model, method, judge_version), {}).get(criterion)
    if fig is None:
        return {"status": "uncalibrated", "why": f"this judge was not calibrated on {HEADLINE[criterion][0]}", **extra}
    return {"status": "calibrated", **fig, **_against_length(fig), **extra}


def persona_validity(name: str, mode: str = "deterministic", path: str | None = None) -> dict:
    """As criterion_validity, for the persona's final state (understood, trust) under appraisal
    `mode`: replayed real supporter turns told successful from failed ESConv conversations this well."""
    block = load(path).get("persona") or {}
    fig = (block.get("figures") or {}).get(name) if block.get("mode") == mode else None
    if fig is None:
        return {"status": "uncalibrated", "why": f"the {mode} appraisal's {name} was not checked against real seekers"}
    return {"status": "calibrated", **fig, **_against_length(fig)}


def instrument_validity(name: str, path: str | None = None) -> dict:
    """As criterion_validity, for a conversation instrument (reply length is the baseline itself)."""
    if name == "length_words":
        return {"status": "baseline", "why": "reply length is the baseline every figure is compared with"}
    fig = load(path).get("instruments", {}).get(name)
    if fig is None:
        return {"status": "uncalibrated", "why": "not checked against human labels"}
    return {"status": "calibrated", **fig, **_against_length(fig)}
