"""`empathy-sim pairwise RUN_A RUN_B`: the two runs' subjects compared conversation by conversation."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import orjson


def add_arguments(p) -> None:
    p.add_argument("run_a", help="a run dir; alone, a sweep (or run) dir whose subject models are all "
                   "compared pairwise into its pairwise.jsonl, leaderboard and report")
    p.add_argument("run_b", nargs="?", default=None, help="a second run dir: win rates of run_a's subject against its")
    p.add_argument("--model", default="local/qwen2.5-1.5b")
    p.add_argument("--rubric", default="relational_empathy")
    p.add_argument("--max-tokens", type=int, default=300)
    p.add_argument("--out", default=None, help="two-run mode; default: <run_a>/pairwise-<B subject>.json")


def run(args) -> None:
    """Compare two runs' subjects pairwise, in both orders, with length control."""
    from judges.llm_judges.pairwise import pairwise_async
    from simulator.core.errors import fail
    from simulator.core.records import ModelSpec
    from simulator.llm.call import shutdown_litellm
    from simulator.run.rescore import gateway_for_run

    if args.run_b is None:
        from simulator.run.pairwise_sweep import run as run_sweep

        return run_sweep(args)

    a_dir, b_dir = Path(args.run_a), Path(args.run_b)
    for d in (a_dir, b_dir):
        if not (d / "records.jsonl").exists():
            fail(f"{d}: no records.jsonl (is this a run directory?)")
    spec = ModelSpec(model=args.model, temperature=0.0, max_tokens=args.max_tokens)
    gateway = gateway_for_run(a_dir)  # run A's bounds and call cache

    async def main():
        try:
            return await pairwise_async(a_dir, b_dir, spec, gateway, args.rubric)
        finally:
            await shutdown_litellm()

    report = asyncio.run(main())
    if not report["pairs"] and not report["errors"]:
        fail(f"no persona × scenario × seed in common between {a_dir} and {b_dir}")
    out = Path(args.out) if args.out else a_dir / f"pairwise-{str(report['B']).replace('/', '_')}.json"
    out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(json.dumps({k: report[k] for k in ("A", "B", "judge", "pairs", "errors", "longer_side_won_share")}))
    print(f"pairwise → {out}")
