"""`empathy-sim`: Hydra for runs and sweeps; plain subcommands for everything else.

    empathy-sim [hydra overrides…]          run (or `-m` sweep) conversations, judge, report
    empathy-sim list [personas|scenarios]   discover cards with their key attributes
    empathy-sim validate [paths…]           validate cards
    empathy-sim judge RUN_DIR [options]     re-judge saved conversations into a new verdict file
    empathy-sim report RUN_OR_SWEEP_DIR     write summary.json, report.md, report.html
    empathy-sim calibrate [options]         check instruments and judges against human labels
    empathy-sim plan [-m] [overrides…]      calls, tokens, cost and wall time, before running

User mistakes (a broken card, an unknown id, a missing API key, a bad override) end with one
line naming what is wrong, and exit status 2.
"""

from __future__ import annotations

import sys

from simulator.api import config_keys, is_free_form, nearest_keys  # noqa: F401 - one home for the config's keys
from simulator.core.errors import fail  # noqa: F401 - the CLI's one way to stop with a message
from simulator.run.plugins import import_plugins

SUBCOMMANDS = ("list", "validate", "judge", "report", "calibrate", "export", "summary", "pairwise", "plan")


# Hydra flags whose value is the next argument (that value is not an override).
_VALUE_FLAGS = {"--cfg", "-c", "--package", "-p", "--config-path", "-cp", "--config-name", "-cn",
                "--config-dir", "-cd", "--info", "-i", "--experimental-rerun"}

def check_overrides(argv: list[str]) -> list[str]:
    """Check every plain `key=value` override against conf/config.yaml, before Hydra sees it.

    An unknown key ends with one line naming it and the nearest valid keys (Hydra would print a
    multi-line struct error). A role's free-form `extra` map and the keys under it are passed on
    in Hydra's add-or-override form (`++`), so `models.subject.extra.top_p=0.9` and
    `models.subject.extra={top_p:0.9}` need no prefix. Returns the arguments to hand to Hydra.
    """
    keys: list[str] | None = None
    out: list[str] = []
    skip_next = False
    for arg in argv:
        if skip_next or arg.startswith("-") or "=" not in arg:
            skip_next = arg in _VALUE_FLAGS
            out.append(arg)
            continue
        key = arg.split("=", 1)[0]
        if key.startswith(("+", "~")) or key.split(".", 1)[0] == "hydra" or "/" in key or "@" in key:
            out.append(arg)
            continue
        if is_free_form(key):
            keys = keys or config_keys()
            if ".".join(key.split(".")[:3]) in keys:
                out.append("++" + arg)
                continue
        keys = keys or config_keys()
        if key not in keys:
            near = nearest_keys(key, keys)
            hint = f"; nearest: {', '.join(near)}" if near else ""
            fail(f"unknown config key {key!r} in override {arg!r}{hint} (all keys: empathy-sim --cfg job)")
        out.append(arg)
    return out


def to_run_config(cfg_dict: dict):
    from simulator.api import UsageError, run_config

    try:
        return run_config(cfg_dict)
    except UsageError as e:
        fail(str(e))


def run_from_dict(cfg_dict: dict) -> None:
    from simulator import api
    from simulator.run.sweep import note_run_dir

    import_plugins()  # again here: joblib/Ray sweep jobs run this in fresh processes
    cfg = to_run_config(cfg_dict)
    try:
        result = api.run(cfg, say=lambda line: print(f"empathy-sim: {line}", file=sys.stderr))
    except api.UsageError as e:
        fail(str(e))
    note_run_dir(result.run_dir)


def print_help(argv: list[str]) -> None:
    """`empathy-sim [overrides…] --help`: the usage and the composed config, without Hydra's
    app help, which spends most of its time listing config groups this app does not have."""
    from importlib.resources import files

    import yaml
    from hydra import compose, initialize_config_module
    from omegaconf import OmegaConf

    overrides = check_overrides([a for a in argv if a not in ("--help", "-h")])
    text = yaml.safe_load(files("simulator").joinpath("conf", "config.yaml").read_text("utf-8"))
    with initialize_config_module(config_module="simulator.conf", version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides)
    print(f"{text['hydra']['help']['header']}\n\n== Config ==\n{OmegaConf.to_yaml(cfg)}\n"
          f"{text['hydra']['help']['footer']}")


def hydra_main(argv: list[str]) -> None:
    import hydra
    from omegaconf import OmegaConf

    if ("--help" in argv or "-h" in argv) and not {"-m", "--multirun"} & set(argv):
        print_help(argv)
        return
    argv = check_overrides(argv)

    @hydra.main(config_path="../conf", config_name="config", version_base="1.3")
    def _main(cfg) -> None:
        run_from_dict(OmegaConf.to_container(cfg, resolve=True))  # type: ignore[arg-type]

    sys.argv = [sys.argv[0]] + argv
    _main()


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    import_plugins()
    if argv and argv[0] in SUBCOMMANDS:
        from simulator.cli.subcommands import dispatch

        dispatch(argv[0], argv[1:])
        return
    hydra_main(argv)


if __name__ == "__main__":
    main()
