"""Deterministic (no-LLM) empathy instruments: pure functions over reply text.

Each maps to one failure mechanism: sentiment attenuation (affect_intensity, intensity_gap),
granularity mismatch (granularity, detail_overlap), linguistic distancing (distancing), templated
tactics (tactics, tactic_repetition), plus two readings of conflict avoidance (capitulation, a
marker cue; stance_lean, an embedding lean towards a kind challenge).
Lexicons are data files in judges/lexicons/, loaded once and cached.
"""

from judges.instruments.conversation import run_instruments
from judges.instruments.details import detail_overlap
from judges.instruments.distancing import distancing, second_person_rate
from judges.instruments.granularity import granularity, named_emotions
from judges.instruments.intensity import affect_intensity, intensity_gap, term_intensities
from judges.instruments.stance import capitulation, stance_lean
from judges.instruments.surface import length_words, question_rate
from judges.instruments.tactics import tactic_repetition, tactics

__all__ = [
    "affect_intensity", "intensity_gap", "term_intensities", "granularity", "named_emotions",
    "detail_overlap", "distancing", "second_person_rate", "tactics", "tactic_repetition",
    "question_rate", "length_words", "capitulation", "stance_lean", "run_instruments",
]
