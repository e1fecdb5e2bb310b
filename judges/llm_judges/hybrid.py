"""The hybrid judge (judge.method=hybrid; what `auto` picks on the embedded model): each criterion
from whichever scorer agreed better with people on that criterion's human set.

On the embedded 1.5B model the yes/no judge orders reflections no better than reply length
(PAIR 0.62 vs 0.73 on 20 prompts; EPITOME interpretations -0.01 vs 0.31), while instruments never
fitted on those sets beat length on all their items (docs/calibration.md, "Hybrid judge"). So
those criteria take the instrument's reading, placed on 1..5 by its percentile among
human-written replies (judges/instruments/criterion_scorers.py); the model is asked only the
criteria no instrument measures better (sentiment attenuation, conflict avoidance, linguistic
distancing, and cultural and relational, which no human set measures) and the scenario's tension
points.
"""

from __future__ import annotations

import hashlib

# criterion -> instrument (a calibrate scorer name). A route must (a) beat reply length on the
# criterion's headline set (simulator/core/validity.py HEADLINE), all items, a set the instrument
# was never fitted on, and (b) order the anchors' warm grief replies above the cold ones
# (bench/anchors.py). VADER's positive share passed (a) for sentiment attenuation (EPITOME
# emotional reactions 0.235 vs length 0.140) and failed (b) badly (warm 2.37, cold 3.55,
# sycophantic 4.77: a reply that meets grief at its strength is full of negative words, a referral
# full of "help" and "support"), so sentiment attenuation stays the model's.
ROUTES: dict[str, str] = {
    # EPITOME interpretations, Spearman: PAIR-fitted head 0.452 vs length 0.332 (prob judge -0.009 on 20)
    "granularity_mismatch": "learned:pair-fit",
    # PAIR hq>lq: EPITOME-fitted head 0.764 vs length 0.675 (prob judge 0.62 vs 0.73 on 20)
    "cognitive": "learned:epitome-fit",
}


def routes_for(method: str) -> dict[str, str]:
    """The criteria a resolved judge method takes from instruments (none but for `hybrid`): the one
    answer to "which criteria is the model asked", for the judge and for the plan alike."""
    return dict(ROUTES) if method == "hybrid" else {}


def hybrid_version(prob_version: str, routes: dict[str, str] | None = None) -> str:
    """The prob judge's version (the questions the model is asked) plus the routes."""
    routes = ROUTES if routes is None else routes
    digest = hashlib.sha256("|".join(f"{c}={s}" for c, s in sorted(routes.items())).encode()).hexdigest()[:8]
    return f"{prob_version}+hybrid.{digest}"
