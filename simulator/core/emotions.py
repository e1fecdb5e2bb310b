"""The controlled emotion vocabulary that cards name and instruments match on."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import yaml
from pydantic import BaseModel, ConfigDict


class EmotionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    family: str
    forms: tuple[str, ...]


@lru_cache(maxsize=1)
def emotion_vocabulary() -> dict[str, EmotionEntry]:
    raw = yaml.safe_load(files("simulator.core").joinpath("emotions.yaml").read_text("utf-8"))
    return {label: EmotionEntry.model_validate(entry) for label, entry in raw.items()}
