"""Rebuild the percentile scale of the criterion instruments from human-written replies.

    python -m judges.calibration.fit_scale [--data DIR] [--out DIR]

Reads ../shared/data at run time (never copies it): every reply of PAIR (318 prompts x 8 = 2,544) and of
EPITOME (3,084 Reddit replies, with the post each answers), scores them with each instrument of
judges/instruments/criterion_scorers.py and writes 101 quantiles per instrument (0%, 1%, ..., 100%)
to weights/criterion_scale.json: summary numbers, no text. Deterministic; a few minutes on one
core, nearly all of it embedding.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from judges.calibration import datasets as ds
from judges.instruments.criterion_scorers import SCALE_FILE, SCORERS
from judges.instruments.learned import head_score

N_QUANTILES = 101


def reference_pairs(data_dir: Path) -> list[tuple[str, str]]:
    pairs = [(it.replies[k], it.prompt) for it in ds.read_pair(data_dir) for k in ds.PAIR_REPLIES]
    pairs += [(it.response, it.seeker) for it in ds.read_epitome(data_dir, "emotional_reactions")]
    return [(r, c) for r, c in pairs if r.strip()]


def raw_scores(name: str, pairs: list[tuple[str, str]]) -> np.ndarray:
    if name.startswith("learned:"):  # one batch: embedding dominates
        return head_score(name[len("learned:"):], pairs)
    return np.array([SCORERS[name](r, c) for r, c in pairs])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m judges.calibration.fit_scale", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="data directory (default ../shared/data)")
    p.add_argument("--out", default=str(Path(__file__).parents[1] / "instruments" / "learned" / "weights"))
    args = p.parse_args(argv)
    pairs = reference_pairs(ds.resolve_data_dir(args.data))
    grid = np.linspace(0, 1, N_QUANTILES)
    quantiles = {name: [round(float(v), 6) for v in np.quantile(raw_scores(name, pairs), grid)] for name in SCORERS}
    body = {"reference": "every reply of PAIR (Min et al. 2022) and EPITOME Reddit (Sharma et al. 2020)",
            "n": len(pairs), "rebuild": "python -m judges.calibration.fit_scale --data ../shared/data",
            "terms": "summary quantiles derived from PAIR (research use) and EPITOME (academic, non-profit "
                     "research use); no text of either set",
            "quantiles": quantiles}
    out = Path(args.out) / SCALE_FILE
    out.write_text(json.dumps(body, indent=1) + "\n", "utf-8")
    print("wrote", out, f"({len(pairs)} replies)")


if __name__ == "__main__":
    main()
