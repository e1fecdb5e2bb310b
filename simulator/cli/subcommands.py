"""The non-run subcommands of `empathy-sim` (argparse; Hydra handles runs and sweeps).

Start-up stays cheap: nothing here imports litellm or llama-cpp at module level, and a
subcommand's own module (and what it pulls in) is imported only when that subcommand runs, so
`list`, `validate`, `report`, `export` and `summary` answer without loading any model library.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import re
from pathlib import Path

from simulator.core.errors import fail

# Subcommands that live in their own modules: name -> module with add_arguments(parser) and
# run(args). Only the module of the subcommand being run is imported; one that is missing or
# fails to import ends the command with an error naming it (it is never silently left out).
EXTERNAL = {
    "calibrate": "simulator.cli.calibrate", "export": "simulator.export.files", "pairwise": "simulator.cli.pairwise",
    "plan": "simulator.cli.plan",
}


def cmd_list(args: argparse.Namespace) -> None:
    from simulator.core.card_loader import CardError, load_all

    try:
        if args.kind in ("personas", "all"):
            ps = load_all("personas")
            print(f"{len(ps)} personas")
            for p in ps:
                ms = f" set={p.matched_set.set_id}/{p.matched_set.varies}" if p.matched_set else ""
                print(f"  {p.id:<28} {p.language:<6} {p.relationship.kind:<13} {p.relationship.distance:<10} "
                      f"{p.culture.background[:48]}{ms}")
        if args.kind in ("scenarios", "all"):
            ss = load_all("scenarios")
            print(f"{len(ss)} scenarios")
            for s in ss:
                print(f"  {s.id:<36} {s.theme:<15} {s.task_type:<11} {s.language or 'en':<6} "
                      f"turns={s.max_turns} personas={','.join(s.personas)}")
    except CardError as e:
        fail(str(e))


def cmd_validate(args: argparse.Namespace) -> None:
    from simulator.core.card_loader import CardError, card_dirs, load_card_file
    from simulator.core.cards import Persona, Scenario

    paths = [Path(p) for p in args.paths] or [
        p for kind in ("personas", "scenarios") for d in card_dirs(kind) for p in sorted(d.glob("*.yaml"))
    ]
    errors = 0
    for p in paths:
        model = Persona if card_kind(p) == "persona" else Scenario
        try:
            card = load_card_file(model, p)
            if args.authored and model is Persona:
                authored_lines_check(card, p)
        except (CardError, OSError) as e:
            errors += 1
            print(f"empathy-sim: error: {e}")
    print(f"{len(paths) - errors} valid, {errors} invalid")
    if errors:
        raise SystemExit(2)


def authored_lines_check(persona, path: Path) -> None:
    """--authored: the card must carry a whole authored conversation (run.persona_form=authored)
    in every library scenario that suggests it; the first shortfall is an error naming the field."""
    from simulator.conversation.fallback import check_authored
    from simulator.core.card_loader import load_all

    pairs = [(sc.id, sc.max_turns) for sc in load_all("scenarios") if persona.id in sc.personas]
    for sid, turns in pairs or [(None, 6)]:  # a card no scenario suggests: a 6-reply conversation
        check_authored(persona, path, sid, turns)


def card_kind(path: Path) -> str:
    """persona or scenario: from the folder name where it says (personas/, scenarios/), else from
    the card's own top-level keys (only scenarios have a theme, task type or beats)."""
    folder = path.parent.name.lower()
    for kind in ("persona", "scenario"):
        if kind in folder:
            return kind
    try:
        head = path.read_text("utf-8", errors="replace")[: 256 * 1024]
    except OSError:
        return "scenario"  # load_card_file reports the unreadable file
    return "scenario" if re.search(r"^(theme|task_type|beats|expectations)\s*:", head, re.M) else "persona"


def cmd_judge(args: argparse.Namespace) -> None:
    from simulator import api

    try:
        paths = api.rescore(args.run_dir, args.model, method=args.method, rubric=args.rubric,
                            structured=args.structured, temperature=args.temperature,
                            max_tokens=args.max_tokens, api_base=args.api_base,
                            concurrency=args.concurrency, cache_path=args.cache_path,
                            no_cache=args.no_cache, progress=not args.quiet)
    except api.UsageError as e:
        fail(str(e))
    for p in paths:
        print(f"verdicts → {p}")


def cmd_summary(args: argparse.Namespace) -> None:
    from simulator.report.summary import write_summary

    try:
        print(f"summary → {write_summary(Path(args.path))}")
    except FileNotFoundError as e:
        fail(str(e))


def cmd_report(args: argparse.Namespace) -> None:
    from simulator.report.summary import write_summary

    try:
        write_summary(Path(args.path))
        from simulator.report.build import write_report
    except FileNotFoundError as e:
        fail(str(e))
    paths = write_report(Path(args.path))
    for kind, p in paths.items():
        print(f"{kind} → {p}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The subcommand parser; with `only`, the arguments of the other external subcommands are
    left out, so their modules are not imported."""
    ap = argparse.ArgumentParser(prog="empathy-sim")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="list personas and scenarios")
    p.add_argument("kind", nargs="?", default="all", choices=["personas", "scenarios", "all"])
    p.set_defaults(fn=cmd_list)
    p = sub.add_parser("validate", help="validate card files (default: all packaged cards)")
    p.add_argument("paths", nargs="*")
    p.add_argument("--authored", action="store_true",
                   help="also check that each persona card has enough authored lines (fallback_lines) "
                        "for run.persona_form=authored in every scenario that suggests it")
    p.set_defaults(fn=cmd_validate)
    p = sub.add_parser("judge", help="re-judge a run's saved conversations")
    p.add_argument("run_dir")
    p.add_argument("--model", action="append", default=None,
                   help="judge model (repeat for a panel); default local/qwen2.5-1.5b")
    p.add_argument("--rubric", default="relational_empathy")
    p.add_argument("--structured", default="schema", choices=["schema", "json", "none"])
    p.add_argument("--method", default="auto", choices=["auto", "prob", "hybrid", "structured"],
                   help="prob: per-reply yes/no probabilities; hybrid: prob, with the criteria an instrument "
                        "measured better taken from it; structured: one JSON call; auto: hybrid on local/")
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--max-tokens", type=int, default=1200)
    p.add_argument("--api-base", default=None)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--cache-path", default=None)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(fn=cmd_judge)
    p = sub.add_parser("summary", help="write summary.json for a run or sweep dir")
    p.add_argument("path")
    p.set_defaults(fn=cmd_summary)
    p = sub.add_parser("report", help="write summary.json, report.md and report.html")
    p.add_argument("path")
    p.set_defaults(fn=cmd_report)
    for name, module in EXTERNAL.items():
        p = sub.add_parser(name, help=module_help(name, module))
        if only is None or only == name:
            try:
                mod = importlib.import_module(module)
            except ImportError as e:  # a broken install or a bug in the module: say so, never drop it
                fail(f"subcommand {name!r}: cannot import its module {module}: {type(e).__name__}: {e}")
            mod.add_arguments(p)
            p.set_defaults(fn=mod.run)
    return ap


def module_help(name: str, module: str) -> str:
    """First line of a module's docstring, read from its source without importing it. Every
    EXTERNAL module ships with the package, so one that cannot be found (or whose package fails
    to import) is an error naming it, not a subcommand that quietly disappears."""
    try:
        spec = importlib.util.find_spec(module)
    except ImportError as e:
        fail(f"subcommand {name!r}: cannot import its module {module}: {type(e).__name__}: {e}")
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        fail(f"subcommand {name!r}: its module {module} is not installed (a broken installation?)")
    doc = ast.get_docstring(ast.parse(Path(spec.origin).read_text("utf-8"))) or ""
    return (doc.strip().splitlines() or [""])[0]


def dispatch(name: str, argv: list[str]) -> None:
    parser = build_parser(only=name)
    if name == "plan":  # overrides (positional) and plan's own flags in any order
        args, extra = parser.parse_known_args([name] + argv)
        if flags := [a for a in extra if a.startswith("-") and "=" not in a]:
            parser.error(f"plan: unrecognized arguments: {' '.join(flags)}")
        args.overrides += [a for a in extra if a not in flags]
    else:
        args = parser.parse_args([name] + argv)
    if name == "judge" and not args.model:
        args.model = ["local/qwen2.5-1.5b"]
    args.fn(args)
