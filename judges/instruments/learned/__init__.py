"""Learned reply-quality scorers: small linear heads on sentence embeddings, fitted on human labels.

- features.py: the feature vector of a (reply, context) pair (MiniLM embeddings and a few surface
  figures); the same code serves fitting and scoring.
- heads.py: the shipped heads (weights/*.json) and `reply_quality(reply, context)`, the runtime
  score conversation records carry.
Fitting reads human data, so it is calibration's: `python -m judges.calibration.fit_heads [--data DIR]`
refits the heads and rewrites weights/*.json; judges/calibration/crossval.py gives the out-of-fold
scores for the calibration tables.

Each weights file states the set it was fitted on and that set's terms. The weights are numbers
derived from the data, not the data: EPITOME (Sharma et al. 2020) is for academic, non-profit
research use; PAIR (Min et al. 2022) for research use. Use the heads under those terms.
"""

from judges.instruments.learned.heads import HEADS, head_score, load_head, reply_quality

__all__ = ["HEADS", "head_score", "load_head", "reply_quality"]
