"""check instruments and judges against human labels (EPITOME, PAIR, Welivita & Pu; ESConv with --persona)

`empathy-sim calibrate [--data DIR] [--limit N] [--judge-model M ...] [--out DIR] [--seed S]`
reads the human-labelled data at run time (default ../shared/data relative to the CWD or the
repository root; it is never copied into the repository), scores it with the deterministic
instruments, the reply-length baseline and optional LLM judges, runs the metamorphic failure
injection, and writes calibration.json and calibration.md into --out.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

DEFAULT_OUT = "outputs/calibration"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default=None, help="data directory (default: ../shared/data from the CWD or repo root)")
    p.add_argument("--limit", type=int, default=None,
                   help="items per set for everything (deterministic sample; default: full sets)")
    p.add_argument("--judge-model", action="append", default=[], metavar="MODEL",
                   help="litellm model string to calibrate as a judge (repeatable), e.g. local/qwen2.5-1.5b")
    p.add_argument("--judge-method", default="auto", choices=["auto", "prob", "hybrid", "structured"],
                   help="as judge.method: prob = yes/no probabilities per criterion; hybrid = its model "
                        "part is prob (the instrument criteria are measured on every item anyway); "
                        "auto = hybrid on local/")
    p.add_argument("--judge-limit", type=int, default=30,
                   help="items per set the judges score (nested within --limit; default 30)")
    p.add_argument("--judge-set-limit", action="append", default=[], metavar="SET=N", type=_set_limit,
                   help="the judge sample of one set family instead (epitome, pair, welivita_pu, aita; "
                        "0 = not judged), repeatable, e.g. --judge-limit 0 --judge-set-limit aita=75")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    p.add_argument("--seed", type=int, default=0, help="sampling and bootstrap seed (default 0)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--concurrency", type=int, default=4, help="judge calls in flight per model")
    p.add_argument("--max-tokens", type=int, default=300, help="judge max output tokens")
    p.add_argument("--cache-path", default=None, help="call cache (default OUT/.cache/calls.sqlite3)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the call cache")
    p.add_argument("--no-metamorphic", action="store_true", help="skip the failure-injection checks")
    p.add_argument("--ship", action="store_true",
                   help="also merge the judge figures (with --persona: the appraisal's ESConv figures) into the "
                        "packaged simulator/core/validity.json")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no table on stdout")
    p.add_argument("--persona", action="store_true",
                   help="instead: replay ESConv / FailedESConv supporter turns to the persona's appraisal "
                        "(docs/calibration.md, 'Persona appraisal against real seekers')")
    p.add_argument("--persona-model", default=None, metavar="MODEL",
                   help="with --persona: also run the llm and hybrid appraisal modes on this model")
    p.add_argument("--persona-failed", type=int, default=98,
                   help="with --persona-model: failed conversations in the sample (as many successful; default 98)")
    p.add_argument("--persona-k", type=int, default=3,
                   help="with --persona-model: replies replayed per sampled conversation (default 3)")


JUDGE_SETS = ("epitome", "pair", "welivita_pu", "aita")


def _set_limit(text: str) -> tuple[str, int]:
    name, _, n = text.partition("=")
    if name not in JUDGE_SETS or not n.isdigit():
        raise argparse.ArgumentTypeError(f"expected SET=N with SET one of {', '.join(JUDGE_SETS)}, got {text!r}")
    return name, int(n)


def _command(args: argparse.Namespace) -> str:
    parts = ["empathy-sim", "calibrate"]
    if args.data is not None:
        parts += ["--data", args.data]
    if args.limit is not None:
        parts += ["--limit", str(args.limit)]
    for m in args.judge_model:
        parts += ["--judge-model", m]
    if args.judge_model and args.judge_method != "auto":
        parts += ["--judge-method", args.judge_method]
    if args.judge_model and args.judge_limit != 30:
        parts += ["--judge-limit", str(args.judge_limit)]
    for name, n in args.judge_set_limit if args.judge_model else ():
        parts += ["--judge-set-limit", f"{name}={n}"]
    parts += _shared_flags(args)
    if args.no_metamorphic:
        parts.append("--no-metamorphic")
    return shlex.join(parts)


def _shared_flags(args: argparse.Namespace) -> list[str]:
    """--out, --seed and --bootstrap where they differ from the defaults (both commands)."""
    parts = []
    if args.out != DEFAULT_OUT:
        parts += ["--out", args.out]
    if args.seed:
        parts += ["--seed", str(args.seed)]
    if args.bootstrap != 1000:
        parts += ["--bootstrap", str(args.bootstrap)]
    return parts


def _persona_command(args: argparse.Namespace) -> str:
    parts = ["empathy-sim", "calibrate", "--persona"]
    if args.data is not None:
        parts += ["--data", args.data]
    if args.persona_model:
        parts += ["--persona-model", args.persona_model, "--persona-failed", str(args.persona_failed),
                  "--persona-k", str(args.persona_k)]
    parts += _shared_flags(args)
    if args.limit is not None:
        parts += ["--limit", str(args.limit)]
    return shlex.join(parts)


def _ship(merge) -> None:
    """Read the packaged validity file, let `merge` update it in place, write it back."""
    from simulator.core import validity

    print(f"validity → {validity.update_shipped(merge)}")


def run_persona(args: argparse.Namespace, data_dir: Path) -> None:
    from judges.calibration.esconv import EsconvError
    from simulator.conversation.persona_calibration import PersonaSettings, run_persona as run_section, write
    from simulator.core.errors import fail

    for name, value in (("--persona-failed", args.persona_failed), ("--persona-k", args.persona_k)):
        if value < 1:
            fail(f"{name} must be positive, got {value}")
    if args.ship and args.limit:
        fail("--ship writes the packaged figures, which must come from every conversation: drop --limit")
    out = Path(args.out)
    cache = None if args.no_cache else (Path(args.cache_path) if args.cache_path else out / ".cache" / "calls.sqlite3")
    st = PersonaSettings(data_dir=data_dir, model=args.persona_model, failed=args.persona_failed, k=args.persona_k,
                         seed=args.seed, resamples=args.bootstrap, cache_path=cache, progress=not args.quiet,
                         limit=args.limit)
    try:
        res = run_section(st, command=_persona_command(args))
    except EsconvError as e:
        fail(str(e))
    js, md = write(res, out)
    if args.ship:  # what summaries show beside the persona's final state
        from simulator.conversation.persona_calibration import validity_block

        _ship(lambda merged: merged.update(persona=validity_block(res)))
    if not args.quiet:
        print(md.read_text("utf-8"))
    print(f"persona calibration → {js}\npersona calibration → {md}")


def run(args: argparse.Namespace) -> None:
    from judges.calibration import report
    from judges.calibration.datasets import DatasetError, resolve_data_dir
    from judges.calibration.pipeline import Settings, calibrate
    from simulator.core.errors import fail

    data_dir = resolve_data_dir(args.data)
    if not data_dir.is_dir():
        fail(f"calibration data directory not found: {data_dir} (pass --data DIR)")
    for name, value in (("--limit", args.limit), ("--judge-limit", args.judge_limit), ("--bootstrap", args.bootstrap)):
        if value is not None and value < (1 if name == "--limit" else 0):
            fail(f"{name} must be {'positive' if name == '--limit' else 'non-negative'}, got {value}")
    if args.persona:
        return run_persona(args, data_dir)
    if args.judge_model:
        from simulator.llm.call import missing_key
        from simulator.core.records import ModelSpec

        for m in args.judge_model:
            if var := missing_key(ModelSpec(model=m)):
                fail(f"judge model {m} needs the environment variable {var}, which is not set")
    out = Path(args.out)
    cache = None if args.no_cache else (Path(args.cache_path) if args.cache_path else out / ".cache" / "calls.sqlite3")
    settings = Settings(
        data_dir=data_dir, limit=args.limit, judge_limit=args.judge_limit, judge_models=list(args.judge_model),
        judge_set_limits=dict(args.judge_set_limit),
        judge_method=args.judge_method,
        seed=args.seed, resamples=args.bootstrap, concurrency=args.concurrency, max_tokens=args.max_tokens,
        cache_path=cache, progress=not args.quiet, metamorphic=not args.no_metamorphic,
    )
    try:
        result = calibrate(settings, command=_command(args))
    except DatasetError as e:
        fail(str(e))
    js, md = report.write(result, out)
    from judges.calibration.validity import compose_hybrid, current_versions, extract
    from simulator.core import validity

    figures = extract(result, current_versions())
    vf = out / validity.SHIPPED
    vf.write_text(json.dumps(figures, indent=1) + "\n", "utf-8")
    if args.ship:  # what summaries and reports show beside each judge score when users lack the data
        def merge_judges(merged: dict) -> None:
            for key, crits in figures["judges"].items():
                merged["judges"].setdefault(key, {}).update(crits)
            if figures["judges"]:
                merged.update(created=figures["created"], command=figures["command"])
            if args.limit is None:  # instrument figures only from every item
                for block in ("instruments", "criterion_scorers"):
                    if figures.get(block):
                        merged[block] = figures[block]
            compose_hybrid(merged)

        _ship(merge_judges)
    if not args.quiet:
        print(md.read_text("utf-8"))
    print(f"calibration → {js}\ncalibration → {md}")
