"""The validity file from a calibration result: which judge (model, method, prompt version) and
which instrument agreed how well with people. simulator/core/validity.py reads the file back for
summary and report; this half knows the judges' versions, so it lives with the scorers.
"""

from __future__ import annotations

from simulator.core.validity import HEADLINE, INSTRUMENT_HEADLINE, SOURCES, judge_key


def current_versions() -> dict[str, str]:
    """The judge version each method has with the default rubric, as verdicts carry it."""
    from judges.llm_judges.structured import judge_version
    from judges.llm_judges.prob import prob_version
    from judges.llm_judges.rubric import load_rubric

    rubric = load_rubric()
    return {"prob": prob_version(rubric), "structured": judge_version(rubric)}


def _label_parts(label: str) -> tuple[str, str]:
    return (label[: -len("+prob")], "prob") if label.endswith("+prob") else (label, "structured")


def extract(result: dict, versions: dict[str, str]) -> dict:
    """The validity file's content from a calibration result (calibration.json); `versions`:
    method -> judge version the calibrated judges had (current_versions())."""
    judges: dict[str, dict] = {}
    for name, entry in result.get("datasets", {}).items():
        for tag, section in entry.items():
            for scorer, res in section.get("scorers", {}).items():
                if not scorer.startswith("judge:"):
                    continue
                label, criterion = scorer[len("judge:"):].rsplit(":", 1)
                if criterion not in HEADLINE or HEADLINE[criterion][0] != name:
                    continue
                metric = HEADLINE[criterion][1]
                fig, base = res.get(metric) or {}, (res.get("baseline") or {}).get(metric) or {}
                if fig.get("value") is None:
                    continue
                model, method = _label_parts(label)
                crits = judges.setdefault(judge_key(model, method, versions[method]), {})
                if criterion in crits and crits[criterion]["n"] >= fig.get("n", 0):
                    continue  # keep the figure on the most items (the full set over a sample)
                crits[criterion] = {
                    "set": name, "source": SOURCES.get(name, name), "metric": metric,
                    "value": fig["value"], "ci": fig.get("ci"), "n": fig.get("n"),
                    "length_value": base.get("value"), "length_ci": base.get("ci"),
                }
    instruments = {}
    for inst, (name, scorer, metric) in INSTRUMENT_HEADLINE.items():
        res = (result.get("datasets", {}).get(name, {}).get("all", {}).get("scorers", {}) or {}).get(scorer)
        fig = (res or {}).get(metric) or {}
        if fig.get("value") is None:
            continue
        base = (res.get("baseline") or {}).get(metric) or {}
        instruments[inst] = {"set": name, "source": SOURCES.get(name, name), "scorer": scorer, "metric": metric,
                             "value": fig["value"], "ci": fig.get("ci"), "n": fig.get("n"),
                             "length_value": base.get("value"), "length_ci": base.get("ci")}
    return {"created": result.get("created"), "command": result.get("command"), "judges": judges,
            "instruments": instruments}
