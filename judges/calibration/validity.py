"""The validity file from a calibration result: which judge (model, method, prompt version) and
which instrument agreed how well with people. simulator/core/validity.py reads the file back for
summary and report; this half knows the judges' versions, so it lives with the scorers.
"""

from __future__ import annotations

from simulator.core.validity import HEADLINE, INSTRUMENT_HEADLINE, SOURCES, judge_key


def current_versions() -> dict[str, str]:
    """The judge version each method has with the default rubric, as verdicts carry it."""
    from judges.llm_judges.structured import judge_version
    from judges.llm_judges.hybrid import hybrid_version
    from judges.llm_judges.prob import prob_version
    from judges.llm_judges.rubric import load_rubric

    rubric = load_rubric()
    return {"prob": prob_version(rubric), "hybrid": hybrid_version(prob_version(rubric)),
            "structured": judge_version(rubric)}


def _figure(result: dict, name: str, scorer: str, metric: str) -> dict | None:
    """`scorer`'s all-items figure on set `name`, with length's on the same items."""
    res = (result.get("datasets", {}).get(name, {}).get("all", {}).get("scorers", {}) or {}).get(scorer)
    fig = (res or {}).get(metric) or {}
    if fig.get("value") is None:
        return None
    base = (res.get("baseline") or {}).get(metric) or {}
    return {"set": name, "source": SOURCES.get(name, name), "scorer": scorer, "metric": metric,
            "value": fig["value"], "ci": fig.get("ci"), "n": fig.get("n"),
            "length_value": base.get("value"), "length_ci": base.get("ci")}


def criterion_scorers(result: dict) -> dict:
    """The hybrid judge's instrument criteria: each route's figure on its criterion's headline set."""
    from judges.llm_judges.hybrid import ROUTES

    figures = {c: f for c, name in ROUTES.items() if (f := _figure(result, HEADLINE[c][0], name, HEADLINE[c][1]))}
    return {"created": result.get("created"), "command": result.get("command"), "figures": figures} if figures else {}


def compose_hybrid(validity: dict, prob: str | None = None) -> None:
    """Add, for every prob judge of version `prob` (default: the current one), its hybrid judge:
    the prob figures for the criteria the model answers, the instruments' for the routed ones
    (in place)."""
    from judges.llm_judges.hybrid import ROUTES, hybrid_version

    prob = prob or current_versions()["prob"]
    routed = (validity.get("criterion_scorers") or {}).get("figures") or {}
    for key, crits in list(validity.get("judges", {}).items()):
        model, method, version = key.rsplit("|", 2)
        if method != "prob" or version != prob:
            continue
        for stale in [k for k in validity["judges"] if k.startswith(judge_key(model, "hybrid", version + "+hybrid."))]:
            del validity["judges"][stale]  # routes changed since: those figures describe no judge now
        entry = {c: f for c, f in crits.items() if c not in ROUTES}
        entry.update({c: routed[c] for c in ROUTES if c in routed and routed[c].get("scorer") == ROUTES[c]})
        validity["judges"][judge_key(model, "hybrid", hybrid_version(version))] = entry


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
    instruments = {inst: f for inst, (name, scorer, metric) in INSTRUMENT_HEADLINE.items()
                   if (f := _figure(result, name, scorer, metric))}
    out = {"created": result.get("created"), "command": result.get("command"), "judges": judges,
           "instruments": instruments, "criterion_scorers": criterion_scorers(result)}
    compose_hybrid(out, versions.get("prob"))
    return out
