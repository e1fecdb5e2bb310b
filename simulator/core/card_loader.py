"""Find, read and validate cards. Every failure names the file and the field.

YAML is parsed with a safe loader that also refuses aliases (cards never need them, and alias
expansion is how "billion laughs" files exhaust memory) and caps the file size.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from simulator.core.cards import Persona, Scenario

MAX_CARD_BYTES = 256 * 1024
T = TypeVar("T", bound=BaseModel)


class CardError(ValueError):
    """A card that cannot be used. str() is one line naming the file and field."""


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases are not allowed in cards", event.start_mark
            )
        return super().compose_node(parent, index)


def card_dirs(kind: str) -> list[Path]:
    """Directories searched for cards of a kind ('personas' or 'scenarios').

    Extra directories come first from EMPATHY_SIM_<KIND>_PATH (os.pathsep separated), so a
    user's own cards can shadow or extend the packaged library.
    """
    extra = os.environ.get(f"EMPATHY_SIM_{kind.upper()}_PATH", "")
    dirs = [Path(p) for p in extra.split(os.pathsep) if p]
    dirs.append(Path(str(files(kind))))
    return dirs


def read_yaml(path: Path) -> object:
    size = path.stat().st_size
    if size > MAX_CARD_BYTES:
        raise CardError(f"{path}: file is {size} bytes; cards are limited to {MAX_CARD_BYTES}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CardError(f"{path}: not valid UTF-8 (byte {e.start})") from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - safe loader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise CardError(f"{path}:{where} invalid YAML: {problem}") from None


def _field_path(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def validate_card(model: type[T], data: object, path: Path) -> T:
    if not isinstance(data, dict):
        raise CardError(f"{path}: a card must be a mapping, got {type(data).__name__}")
    try:
        card = model.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        more = f" (+{e.error_count() - 1} more)" if e.error_count() > 1 else ""
        msg = err["msg"].removeprefix("Value error, ")
        raise CardError(f"{path}: field {_field_path(err['loc'])}: {msg}{more}") from None
    if getattr(card, "id") != path.stem:
        raise CardError(f"{path}: field id: {card.id!r} must equal the file name {path.stem!r}")
    return card


def load_card_file(model: type[T], path: Path) -> T:
    return validate_card(model, read_yaml(path), path)


def card_path(kind: str, card_id: str) -> Path:
    """The file a card id resolves to ('personas' or 'scenarios'); unknown ids list the known."""
    for d in card_dirs(kind):
        p = d / f"{card_id}.yaml"
        if p.is_file():
            return p
    known = ", ".join(list_ids(kind)[:12])
    raise CardError(f"unknown {kind[:-1]} id {card_id!r}; known: {known} … (see `empathy-sim list`)")


def list_ids(kind: str) -> list[str]:
    ids: dict[str, None] = {}
    for d in card_dirs(kind):
        if d.is_dir():
            for p in sorted(d.glob("*.yaml")):
                ids.setdefault(p.stem, None)
    return list(ids)


@lru_cache(maxsize=512)
def load_persona(persona_id: str) -> Persona:
    return load_card_file(Persona, card_path("personas", persona_id))


@lru_cache(maxsize=512)
def load_scenario(scenario_id: str) -> Scenario:
    return load_card_file(Scenario, card_path("scenarios", scenario_id))


def load_all(kind: str) -> list:
    loader = load_persona if kind == "personas" else load_scenario
    return [loader(i) for i in list_ids(kind)]
