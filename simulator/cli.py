"""`empathy-sim`: Hydra for runs and sweeps; plain subcommands for everything else.

    empathy-sim [hydra overrides…]          run (or `-m` sweep) conversations, judge, report
    empathy-sim list [personas|scenarios]   discover cards with their key attributes
    empathy-sim validate [paths…]           validate cards
    empathy-sim judge RUN_DIR [options]     re-judge saved conversations into a new verdict file
    empathy-sim report RUN_OR_SWEEP_DIR     write summary.json, report.md, report.html
    empathy-sim calibrate [options]         check instruments and judges against human labels

User mistakes (a broken card, an unknown id, a missing API key, a bad override) end with one
line naming what is wrong, and exit status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

SUBCOMMANDS = ("list", "validate", "judge", "report", "calibrate", "export", "summary", "pairwise")


def fail(msg: str, code: int = 2) -> "None":
    print(f"empathy-sim: error: {msg}", file=sys.stderr)
    raise SystemExit(code)


def _check_override_keys(argv: list[str]) -> None:
    """Catch unknown override keys with one line, before Hydra prints a multi-line trace."""
    from importlib.resources import files

    import yaml

    base = yaml.safe_load(files("simulator").joinpath("conf", "config.yaml").read_text("utf-8"))
    for arg in argv:
        if arg.startswith("-") or "=" not in arg or arg.startswith(("+", "~", "hydra")):
            continue
        key = arg.split("=", 1)[0]
        node: object = base
        for part in key.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, dict) and key.startswith("models.") and key.count(".") == 2:
                node = None  # models.<role>.<any ModelSpec field> is checked by pydantic
                break
            else:
                fail(f"unknown config key {key!r} in override {arg!r} (see `empathy-sim --cfg job`)")


def to_run_config(cfg_dict: dict):
    from pydantic import ValidationError

    from simulator.config import RunConfig

    try:
        return RunConfig.model_validate(cfg_dict)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        fail(f"config field {loc}: {err['msg']} (got {err.get('input')!r})")


def run_from_dict(cfg_dict: dict) -> None:
    from simulator.card_loader import CardError
    from simulator.config import plan
    from simulator.runner import PreflightError, preflight, run
    from simulator.store import ConfigChanged

    import_plugins()  # again here: joblib/Ray sweep jobs run this in fresh processes
    cfg = to_run_config(cfg_dict)
    try:
        warnings = preflight(cfg)
        keys = plan(cfg)
    except (CardError, PreflightError, ValueError) as e:
        fail(str(e))
    for w in warnings:
        print(f"empathy-sim: warning: {w}", file=sys.stderr)
    print(f"empathy-sim: {len(keys)} conversation(s) → {cfg.run_dir()}", file=sys.stderr)
    try:
        result = run(cfg)
    except ConfigChanged as e:
        fail(str(e))
    from simulator.sweep import note_run_dir

    note_run_dir(result.run_dir)
    print(f"empathy-sim: {result.status}: {result.written} written, {result.skipped} already done, "
          f"counts {result.counts} → {result.run_dir / 'records.jsonl'}", file=sys.stderr)
    if cfg.run.report:
        from simulator.summary import write_summary

        summary_path = write_summary(result.run_dir)
        print(f"empathy-sim: summary → {summary_path}", file=sys.stderr)
        try:
            from simulator.report import write_report
        except ImportError:
            write_report = None
        if write_report is not None:
            paths = write_report(result.run_dir)
            print(f"empathy-sim: report → {paths['html']}", file=sys.stderr)


def hydra_main(argv: list[str]) -> None:
    import hydra
    from omegaconf import OmegaConf

    _check_override_keys(argv)

    @hydra.main(config_path="conf", config_name="config", version_base="1.3")
    def _main(cfg) -> None:
        run_from_dict(OmegaConf.to_container(cfg, resolve=True))  # type: ignore[arg-type]

    sys.argv = [sys.argv[0]] + argv
    _main()


def import_plugins() -> None:
    """Import modules named in EMPATHY_SIM_IMPORT (comma-separated), e.g. to register custom
    litellm providers; inherited by sweep jobs in other processes."""
    import importlib
    import os

    for name in filter(None, (m.strip() for m in os.environ.get("EMPATHY_SIM_IMPORT", "").split(","))):
        try:
            importlib.import_module(name)
        except ImportError as e:
            fail(f"EMPATHY_SIM_IMPORT: cannot import {name!r}: {e}")


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    import_plugins()
    if argv and argv[0] in SUBCOMMANDS:
        from simulator.subcommands import dispatch

        dispatch(argv[0], argv[1:])
        return
    hydra_main(argv)


if __name__ == "__main__":
    main()
