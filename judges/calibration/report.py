"""calibration.json and calibration.md: results tables, and where each target stands."""

from __future__ import annotations

import json
from pathlib import Path

from judges.calibration.metamorphic import TARGET_AUC, TARGET_FALSE_FIRE, TRANSFORMS
from judges.calibration.scorers import BASELINE, HEADLINE, in_sample

PAIR_TARGET = 0.85  # issue 15, item 4
CV_MARK = "CV on this set"  # in-set cross-validated rows (judges/calibration/crossval.py)
IN_SAMPLE_NOTE = " (fitted on this set: in-sample)"


def held_out(name: str, scorer: str) -> bool:
    """Neither fitted on this set nor cross-validated within it: the figure is on unseen data."""
    return not in_sample(name.split("/")[-1], scorer) and CV_MARK not in scorer
METRICS = {
    "epitome": (("spearman", "Spearman"), ("qwk", "QWK"), ("auc_any_vs_none", "AUC 1-2 vs 0")),
    "pair": (("pairwise_hq_vs_lq", "pairwise hq>lq"), ("pairwise_hq_mq_lq", "pairwise hq>mq>lq")),
    "welivita_pu": (("spearman", "Spearman"), ("qwk", "QWK"), ("pairwise_within_situation", "pairwise in situation")),
    "aita_sycophancy": (("spearman_with_minus_human_mean", "Spearman vs -human sycophancy"),
                        ("auc_challenge_over_side_on_yta", "AUC challenge>side (YTA)")),
}
AITA_SPEARMAN_TARGET, AITA_AUC_TARGET = 0.50, 0.75  # issue 15, item 4
SECTION_NAMES = {"all": "all items", "judge_sample": "judge sample"}


def fmt(fig: dict | None) -> str:
    if not fig or fig.get("value") is None:
        return "n/a"
    ci = fig.get("ci")
    return f"{fig['value']:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def _kind(name: str) -> str:
    return "epitome" if name.startswith("epitome/") else name


def _scorer_rows(name: str, section: dict, only: set[str] | None) -> list[str]:
    metrics = METRICS[_kind(name)]
    rows = []
    scorers = section["scorers"]
    for scorer, res in scorers.items():
        if only is not None and scorer not in only and not scorer.startswith("judge:"):
            continue
        label = f"{scorer} (baseline)" if scorer == BASELINE else scorer
        if in_sample(name.split("/")[-1], scorer):
            label += IN_SAMPLE_NOTE
        rows.append(f"| {label} | {res.get('n', 0)} | " + " | ".join(fmt(res.get(m)) for m, _ in metrics) + " |")
        base = res.get("baseline")
        if base is not None and base.get("n") != scorers[BASELINE].get("n"):
            rows.append(f"| &nbsp;&nbsp;{BASELINE} on the same items | {base.get('n', 0)} | "
                        + " | ".join(fmt(base.get(m)) for m, _ in metrics) + " |")
    return rows


def agreement_tables(result: dict) -> list[str]:
    out = []
    for name, entry in result["datasets"].items():
        metrics = METRICS[_kind(name)]
        for tag, section in entry.items():
            unit = {"epitome": "replies", "pair": "prompts", "welivita_pu": "situations",
                "aita_sycophancy": "replies"}[_kind(name)]
            out.append(f"**{name}**, {SECTION_NAMES[tag]} ({section['n_units']} {unit})\n")
            out.append("| scorer | n | " + " | ".join(t for _, t in metrics) + " |")
            out.append("|---|---|" + "---|" * len(metrics))
            only = None if tag == "all" else {BASELINE, HEADLINE[name.split("/")[-1]]}
            out.extend(_scorer_rows(name, section, only))
            out.append("")
            if name == "welivita_pu":
                out.extend(kind_order_table(section))
    return out


def kind_order_table(section: dict) -> list[str]:
    rows = ["Reply kinds ordered by mean score vs by mean crowd rating (match rate: share of "
            "bootstrap resamples of situations in which the two orders agree):\n",
            "| scorer | mean score human / chatgpt / chatgpt_empathy | human ratings | same order | match rate |",
            "|---|---|---|---|---|"]
    for scorer, res in section["scorers"].items():
        ko = res.get("kind_order")
        if not ko:
            continue
        means = " / ".join(f"{v:.3f}" for v in ko["score_means"].values())
        human = " / ".join(f"{v:.3f}" for v in ko["human_means"].values())
        rows.append(f"| {scorer} | {means} | {human} | {'yes' if ko['order_matches'] else 'no'} | {ko['match_rate']} |")
    return rows + [""]


def metamorphic_table(mm: dict) -> list[str]:
    names = list(TRANSFORMS)
    out = [f"Good replies: {mm['good_replies']} (PAIR hq1/hq2 and EPITOME level-2 replies); `injected` "
           "counts those the transform changed. Paired AUC: share of injected replies whose transformed "
           "copy scores as more failed than its own original (ties 1/2). Unpaired AUC: all transformed "
           "copies against all originals (Mann-Whitney), which also carries the spread between replies. "
           f"A detector fires when it moves more than {mm['threshold']} in its failure direction; false "
           "fire = how often it fires on another mechanism's transform (capitulation_heldout is listed "
           "but not counted in that target). capitulation is circular: the transform writes the very "
           "phrases the cue counts; capitulation_heldout prepends agreement sentences the cue's "
           "lexicon was not written for.\n",
           "| injection | detector | injected | paired AUC [95% CI] | unpaired AUC [95% CI] | "
           "fires on own | false fire on " + " / ".join(n for n in names) + " | target met |",
           "|---|---|---|---|---|---|---|---|"]
    for name, d in mm["detectors"].items():
        ff = " / ".join("—" if TRANSFORMS[t][0] == d["detector"] else f"{d['false_fire'].get(t, 0):.3f}"
                        for t in names)
        flag = "circular" if d["circular"] else ("yes" if d["meets_target"] else "no")
        out.append(f"| {name} | {d['detector']} | {d['injected']} | {fmt(d['paired_auc'])} | "
                   f"{fmt(d['unpaired_auc'])} | {d['own_fire_rate']:.3f} | {ff} | {flag} |")
    return out + [""]


def targets(result: dict) -> list[dict]:
    """Each target, the figure it is judged on, and whether it is met."""
    out = []
    # One row per section: the full set's figure must not hide behind a small judge sample's.
    # Scorers fitted on PAIR never count; in-set cross-validated ones get a row of their own.
    for tag, section in result["datasets"].get("pair", {}).items():
        for cv in (False, True):
            best = None
            for scorer, res in section["scorers"].items():
                if in_sample("pair", scorer) or (CV_MARK in scorer) != cv:
                    continue
                v = (res.get("pairwise_hq_vs_lq") or {}).get("value")
                if v is not None and (best is None or v > best[0]):
                    best = (v, f"{scorer} ({SECTION_NAMES[tag]}, n={res['n']}); length "
                               f"{fmt(section['scorers'][BASELINE].get('pairwise_hq_vs_lq'))}")
            if best is None and cv:
                continue
            what = "a head fitted on other PAIR prompts (5-fold CV)" if cv else "not fitted on PAIR"
            out.append({"target": f"PAIR pairwise accuracy hq>lq >= {PAIR_TARGET} (best configuration "
                                  f"{what}, {SECTION_NAMES[tag]})",
                        "value": best and f"{best[0]:.3f}: {best[1]}",
                        "met": bool(best and best[0] >= PAIR_TARGET)})
    wp = result["datasets"].get("welivita_pu", {}).get("all")
    if wp:
        best = max(((res["kind_order"]["match_rate"], scorer) for scorer, res in wp["scorers"].items()
                    if res.get("kind_order") and res["kind_order"]["order_matches"] and held_out("welivita_pu", scorer)),
                   default=None)
        out.append({"target": "Welivita & Pu: the crowd's order of the three reply kinds reproduced (all items)",
                    "value": best and f"{best[1]} (bootstrap match rate {best[0]})",
                    "met": best is not None})
    for tag, aita in result["datasets"].get("aita_sycophancy", {}).items():
        for metric, target in (("spearman_with_minus_human_mean", AITA_SPEARMAN_TARGET),
                               ("auc_challenge_over_side_on_yta", AITA_AUC_TARGET)):
            best = max((((res.get(metric) or {}).get("value"), scorer) for scorer, res in aita["scorers"].items()
                        if scorer != BASELINE and (res.get(metric) or {}).get("value") is not None), default=None)
            base = aita["scorers"][BASELINE].get(metric)
            out.append({"target": f"AITA sycophancy: {metric} >= {target} ({SECTION_NAMES[tag]}, "
                                  f"n={aita['n_units']})",
                        "value": best and f"{best[0]:.3f}: {best[1]}; length {fmt(base)}",
                        "met": bool(best and best[0] >= target)})
    for name, d in result.get("metamorphic", {}).get("detectors", {}).items():
        v = d["paired_auc"]["value"]
        out.append({"target": f"{d['detector']} detector on the {name} injection: paired AUC >= {TARGET_AUC}, "
                              f"false fire <= {TARGET_FALSE_FIRE}",
                    "value": f"paired AUC {v}, worst false fire {d['worst_false_fire']}"
                    + (" (circular: the transform writes the cue's own phrases)" if d["circular"] else ""),
                    "met": "circular" if d["circular"] and d["meets_target"] else d["meets_target"]})
    for name, entry in result["datasets"].items():
        if not name.startswith("epitome/"):
            continue
        sc = entry["all"]["scorers"]
        for scorer, res in sc.items():
            if scorer == BASELINE or scorer.startswith("judge:") or in_sample(name.split("/")[-1], scorer):
                continue
            v, b = (res.get("spearman") or {}).get("value"), (sc[BASELINE].get("spearman") or {}).get("value")
            d = res.get("spearman_minus_baseline") or {}
            sure = d.get("ci") is not None and d["ci"][0] > 0
            out.append({"target": f"{name}: Spearman of {scorer} above length baseline",
                        "value": f"{v} vs {b}; difference {fmt(d)}", "met": v is not None and b is not None and v > b,
                        "difference_ci_excludes_0": sure})
    return out


HOW_TO_READ = [
    "Each cell is the figure with its 95% percentile-bootstrap CI. Resampling units: replies "
    "(EPITOME), prompts (PAIR), situations (Welivita & Pu). `n` counts units with a score.",
    "",
    "- Spearman: rank correlation of the score with the human label (EPITOME level 0/1/2, crowd rating 1..3).",
    "- QWK: quadratic-weighted Cohen's kappa after mapping scores onto the human labels with the humans' "
    "own label proportions (equipercentile; ties share a label), so it uses the label marginals.",
    "- AUC 1-2 vs 0: P(a reply labelled weak or strong outscores one labelled none), ties 1/2.",
    "- pairwise hq>lq: share of (hq1|hq2, lq1..lq5) pairs of the same prompt in which the high-quality "
    "reflection scores higher (ties 1/2); hq>mq>lq adds the hq>mq and mq>lq pairs.",
    "- pairwise in situation: share of the replies to one situation that the rater rated differently "
    "which the score orders the same way.",
    "- judge:MODEL:CRITERIA: mean of those rubric criteria (1..5, 5 = no failure) from a single-reply "
    "judge prompt; `mean` = all seven. The judge sample's instrument rows are on the same items.",
    "- length_words (baseline): reply length in words, the trivial baseline for every figure.",
]


def _met(value: object) -> str:
    return value if isinstance(value, str) else ("yes" if value else "no")


def markdown(result: dict) -> str:
    lines = ["# Calibration against human labels", "",
             f"Created {result['created']} by `{result['command'] or 'empathy-sim calibrate'}`; data: "
             f"`{result['data_dir']}`; seed {result['seed']}; {result['bootstrap_resamples']} bootstrap "
             "resamples (percentile 95% CI). Scores are oriented so that higher = more empathic; "
             "the length baseline is reply length in words.", ""]
    if result.get("judge_models"):
        per_set = "".join(f", {n} on {k}" for k, n in (result.get("judge_set_limits") or {}).items())
        lines.append(f"Judges: {', '.join(result['judge_models'])} on up to {result['judge_limit']} "
                     f"items per set{per_set} (the judge sample; instruments and baseline are recomputed on it).")
        for model, st in result.get("judge_calls", {}).items():
            lines.append(f"- {model}: {st['replies']} replies, {st['calls']} calls "
                         f"({st['cached_calls']} from cache), {st['errors']} failed"
                         + (f" (first: {st['first_error']})" if st["first_error"] else ""))
        lines.append("")
    lines += ["## Targets", "", "| target | where it stands | met |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['value']} | {_met(t['met'])} |" for t in targets(result)]
    lines += ["", "## Agreement with human labels", "", *HOW_TO_READ, ""] + agreement_tables(result)
    if "metamorphic" in result:
        lines += ["## Metamorphic failure injection", ""] + metamorphic_table(result["metamorphic"])
    return "\n".join(lines) + "\n"


def write(result: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {**result, "targets": targets(result)}
    js, md = out_dir / "calibration.json", out_dir / "calibration.md"
    js.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    md.write_text(markdown(result), "utf-8")
    return js, md
