"""Metamorphic failure injection: degrade good human replies with the deterministic transforms
(judges.instruments.transforms) and check that each mechanism's detector catches its own
injection and stays quiet on the others.

Good replies: PAIR hq1/hq2 (context: the client prompt) and EPITOME replies rated level 2 on
any mechanism (context: the seeker post), deduplicated. The "original" is the reply re-rendered
through the same tokeniser/renderer the transforms use, so rendering alone (expanded
contractions, merged punctuation) never counts as an injection; an item is "injected" when the
transform's output differs from that original. Detectors, oriented so higher = more failure:

- attenuation:  1 - affect_intensity(text)
- granularity:  1 - (granularity(text).score + detail_overlap(text, [context])) / 2
- distancing:   distancing(text).score
- capitulation: capitulation(text).score

Per (transform, detector): paired AUC = share of injected items whose transformed copy scores
higher than its own original (ties count 1/2); unpaired AUC = Mann-Whitney AUC of all
transformed copies against all originals; fire rate = share of injected items where the
detector moves by more than FIRE_THRESHOLD in the failure direction.

The capitulate transform inserts "You are right ... I agree with you" and rewrites pushback
with the very phrases the capitulation cue counts, so its AUC is circular. A second injection,
capitulation_heldout, prepends one agreement sentence from HELDOUT_AGREEMENT, a list written
without reference to judges/lexicons/stance_markers.yaml and never to be added to it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from judges.calibration.datasets import PAIR_HIGH, EpitomeItem, PairItem
from judges.calibration.evaluate import section_seed
from judges.calibration.metrics import auc, figure, paired_auc
from judges.instruments import affect_intensity, capitulation, detail_overlap, distancing, granularity
from judges.instruments.tokens import tokenise
from judges.instruments.transforms import attenuate, capitulate, distance, genericise, render

FIRE_THRESHOLD = 0.05
TARGET_AUC = 0.95
TARGET_FALSE_FIRE = 0.10

HELDOUT_AGREEMENT = (
    "I couldn't agree more.",
    "You make a really good point.",
    "Yes, that's exactly how it is.",
    "You're not wrong about that.",
    "I'm with you on this one.",
    "Honestly, you've got it spot on.",
    "Fair enough, you know your situation.",
    "I think you've nailed it.",
    "Right, I see it the same way.",
    "Yes, I'd say the same thing.",
    "Agreed, completely.",
    "That's a good call.",
)

Detector = Callable[[str, str], float]
DETECTORS: dict[str, Detector] = {
    "attenuation": lambda t, c: 1.0 - affect_intensity(t),
    "granularity": lambda t, c: 1.0 - (granularity(t)["score"] + detail_overlap(t, [c])) / 2,
    "distancing": lambda t, c: distancing(t)["score"],
    "capitulation": lambda t, c: capitulation(t)["score"],
}
# transform name -> (the detector it should move, transform(text, context, index))
TRANSFORMS: dict[str, tuple[str, Callable[[str, str, int], str]]] = {
    "attenuation": ("attenuation", lambda t, c, i: attenuate(t)),
    "granularity": ("granularity", lambda t, c, i: genericise(t, [c])),
    "distancing": ("distancing", lambda t, c, i: distance(t)),
    "capitulation": ("capitulation", lambda t, c, i: capitulate(t, None)),
    "capitulation_heldout": ("capitulation", lambda t, c, i: render(
        tokenise(HELDOUT_AGREEMENT[i % len(HELDOUT_AGREEMENT)] + " " + t).surface)),
}
CIRCULAR = {"capitulation"}
# Not one of the library's four transforms: its firing of other detectors is reported but not
# counted against their false-fire target.
EXTRA = {"capitulation_heldout"}


def good_replies(pair: list[PairItem], epitome: dict[str, list[EpitomeItem]] | None) -> list[tuple[str, str, str]]:
    """(source, reply, context) for PAIR hq1/hq2 and EPITOME level-2 replies (deduplicated)."""
    out = [("pair", it.replies[k], it.prompt) for it in pair for k in PAIR_HIGH]
    seen: set[str] = set()
    for items in (epitome or {}).values():
        for it in items:
            if it.level == 2 and it.rp_id not in seen:
                seen.add(it.rp_id)
                out.append(("epitome", it.response, it.seeker))
    return out


def _detect(text: str, context: str) -> dict[str, float]:
    return {d: fn(text, context) for d, fn in DETECTORS.items()}


def run_metamorphic(pair: list[PairItem], epitome: dict[str, list[EpitomeItem]] | None, seed: int = 0,
                    resamples: int = 1000) -> dict:
    """Inject every transform into every good reply; figures per transform and detector."""
    items = good_replies(pair, epitome)
    originals = [render(tokenise(r).surface) for _, r, _ in items]
    base = [_detect(o, c) for o, (_, _, c) in zip(originals, items)]
    per_transform: dict[str, dict] = {}
    for name, (own, fn) in TRANSFORMS.items():
        outs = [fn(r, c, i) for i, (_, r, c) in enumerate(items)]
        injected = [i for i, (o, t) in enumerate(zip(originals, outs)) if t != o]
        after = {i: _detect(outs[i], items[i][2]) for i in injected}
        entry: dict = {"detector": own, "items": len(items), "injected": len(injected),
                       "circular": name in CIRCULAR, "detectors": {}}
        for det in DETECTORS:
            b = np.array([base[i][det] for i in injected])
            a = np.array([after[i][det] for i in injected])
            fires = (a - b) > FIRE_THRESHOLD
            row: dict = {"fire_rate": round(float(fires.mean()), 4) if len(a) else None}
            if det == own:
                s = section_seed(seed, "metamorphic", name)
                row["paired_auc"] = figure(lambda i: paired_auc(a[i], b[i]), len(a), s, resamples)
                row["unpaired_auc"] = figure(lambda i: auc(a[i], b[i]), len(a), s, resamples)
                by_source = {}
                for src in ("pair", "epitome"):
                    idx = [k for k, i in enumerate(injected) if items[i][0] == src]
                    if idx:
                        by_source[src] = {"injected": len(idx), "paired_auc": round(paired_auc(a[idx], b[idx]), 4)}
                row["by_source"] = by_source
            entry["detectors"][det] = row
        per_transform[name] = entry
    return {"threshold": FIRE_THRESHOLD, "good_replies": len(items),
            "transforms": per_transform, "detectors": summarise(per_transform)}


def summarise(per_transform: dict[str, dict]) -> dict[str, dict]:
    """Per detector and own injection: paired/unpaired AUC, the false-fire rate on each other
    mechanism's transform, the worst of those over the library's four transforms (EXTRA ones
    are listed, not counted), and whether the targets (paired AUC >= 0.95, worst false fire
    <= 0.10) are met."""
    out = {}
    for name, entry in per_transform.items():
        det = entry["detector"]
        own = entry["detectors"][det]
        others = {t: e["detectors"][det]["fire_rate"] for t, e in per_transform.items()
                  if e["detector"] != det}
        worst = max((v for t, v in others.items() if v is not None and t not in EXTRA), default=None)
        auc_v = own["paired_auc"]["value"]
        out[name] = {
            "detector": det, "injected": entry["injected"], "circular": entry["circular"],
            "paired_auc": own["paired_auc"], "unpaired_auc": own["unpaired_auc"],
            "own_fire_rate": own["fire_rate"], "false_fire": others, "worst_false_fire": worst,
            "meets_target": auc_v is not None and auc_v >= TARGET_AUC and worst is not None
            and worst <= TARGET_FALSE_FIRE,
        }
    return out
