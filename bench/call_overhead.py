"""Framework CPU time per model call: Gateway.complete vs raw litellm.acompletion, side by side.

    python -m bench.call_overhead [--calls 300 --rounds 5 --variants ... --no-profile]

Paths, each measured with time.process_time over sequential calls in one event loop:
  raw_fake          litellm.acompletion on the in-process zero-latency `zero/` provider
  gateway_fake      Gateway.complete on the same provider
  raw_loopback      litellm.acompletion on `openai/x` at the loopback server (0 ms latency)
  gateway_loopback  Gateway.complete on the same
The loopback server runs in a child process, so its CPU is not counted. Rounds interleave the
paths and the candidate settings (bench.overhead_variants), so all figures come from one run on
the same machine state. Target: gateway_fake ≤ 2 ms/call. cProfile shows where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import time

import simulator.llm  # noqa: F401  (offline env before litellm import)
import litellm

from bench import report, zero_provider
from bench.loopback_plan import ServerOptions
from bench.overhead_variants import Variant, by_name
from bench.server_process import ServerProcess
from simulator.llm.call import Gateway, shutdown_litellm
from simulator.core.records import ModelSpec

TARGET_MS = 2.0
MSG = [{"role": "system", "content": "You are a warm, attentive friend."},
       {"role": "user", "content": "can't sleep again. everyone keeps saying i'm 'doing so well' lol"}]
PARAMS = {"temperature": 0.7, "max_tokens": 64, "timeout": 60.0}


def _calls(path: str, url: str, extra: dict):
    """A coroutine function making one call on `path` with per-call extras."""
    if path.startswith("gateway"):
        gateway = Gateway(retries=0, backoff_s=0.0)
        spec = (ModelSpec(model="zero/x", max_tokens=64, timeout_s=60.0, extra=extra) if path == "gateway_fake"
                else ModelSpec(model="openai/x", api_base=url, max_tokens=64, timeout_s=60.0, extra=extra))

        async def one() -> None:
            await gateway.complete(spec, MSG, role="subject")
        return one
    kwargs = dict(PARAMS, **extra)
    if path == "raw_loopback":
        kwargs.update(api_base=url, api_key="not-needed")
    model = "zero/x" if path == "raw_fake" else "openai/x"

    async def one() -> None:
        await litellm.acompletion(model=model, messages=MSG, **kwargs)
    return one


async def _block(path: str, variant: Variant, url: str, n: int) -> tuple[float, float]:
    """CPU ms and wall ms per call over n sequential calls (logging tasks drained inside)."""
    one = _calls(path, url, variant.extra or {})
    with variant.enter():
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            await one()
        await asyncio.sleep(0.02)  # let background logging tasks of these calls run, inside the clock
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    return 1000.0 * cpu / n, 1000.0 * (wall - 0.02) / n


def _plan(variants: list[Variant], paths: list[str]) -> list[tuple[str, Variant]]:
    base = variants[0]
    out = [(p, base) for p in paths]
    out += [(p, v) for v in variants[1:] for p in paths if p.startswith("gateway")]
    return out


async def _measure(plan, url: str, calls: int, rounds: int, warm: int) -> dict:
    for path, variant in plan:
        await _block(path, variant, url, warm)
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {(p, v.name): [] for p, v in plan}
    for r in range(rounds):
        order = plan if r % 2 == 0 else list(reversed(plan))  # A/B/A/B: no path always goes first
        for path, variant in order:
            samples[(path, variant.name)].append(await _block(path, variant, url, calls))
    return samples


async def _profile(path: str, url: str, n: int, top: int) -> dict:
    one = _calls(path, url, {})
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        await one()
    await asyncio.sleep(0.02)
    prof.disable()
    out = {}
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(top)
        lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
        start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
        out[key] = lines[start:]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.call_overhead", description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=300, help="calls per block")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--warm", type=int, default=30)
    p.add_argument("--variants", nargs="*", default=None, help="candidate settings (default: all)")
    p.add_argument("--no-loopback", action="store_true")
    p.add_argument("--no-profile", action="store_true")
    p.add_argument("--profile-top", type=int, default=45)
    p.add_argument("--out", default=None)
    ns = p.parse_args(argv)
    zero_provider.install()
    variants = by_name(ns.variants)
    paths = ["raw_fake", "gateway_fake"] + ([] if ns.no_loopback else ["raw_loopback", "gateway_loopback"])
    plan = _plan(variants, paths)
    with ServerProcess(ServerOptions(latency_ms=0.0, reply_words=14)) as server:
        async def run():
            try:
                samples = await _measure(plan, server.url, ns.calls, ns.rounds, ns.warm)
                profiles = {} if ns.no_profile else {
                    path: await _profile(path, server.url, ns.calls, ns.profile_top)
                    for path in ("gateway_fake", "gateway_loopback") if path in paths}
                return samples, profiles
            finally:
                await shutdown_litellm()

        samples, profiles = asyncio.run(run())
    rows = []
    base = {p: statistics.median(c for c, _ in samples[(p, "baseline")]) for p in paths}
    for (path, name), s in samples.items():
        cpu = statistics.median(c for c, _ in s)
        rows.append({"path": path, "variant": name, "cpu_ms_per_call": cpu,
                     "cpu_min": min(c for c, _ in s), "cpu_max": max(c for c, _ in s),
                     "wall_ms_per_call": statistics.median(w for _, w in s),
                     "vs_baseline": cpu / base[path], "calls": ns.calls * ns.rounds})
    print(report.table(rows, ["path", "variant", "cpu_ms_per_call", "cpu_min", "cpu_max", "wall_ms_per_call",
                              "vs_baseline"]))
    fw = base["gateway_fake"]
    ratios = {"gateway_fake/raw_fake": fw / base["raw_fake"]}
    if "gateway_loopback" in base:
        ratios["gateway_loopback/raw_loopback"] = base["gateway_loopback"] / base["raw_loopback"]
    print(f"ratios (median CPU, same run): {ratios}")
    print(f"target gateway_fake ≤ {TARGET_MS} ms/call: {'met' if fw <= TARGET_MS else 'NOT met'} ({fw:.3f} ms)")
    for path, prof in profiles.items():
        print(f"\n--- cProfile {path}, {ns.calls} calls, top by cumulative ---")
        print("\n".join(prof["cumulative"]))
    desc = {v.name: v.what for v in variants}
    path = report.write("call_overhead", {"target_ms": TARGET_MS, "target_met": fw <= TARGET_MS,
                                          "rows": rows, "ratios": ratios, "variants": desc,
                                          "profiles": profiles}, ns.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
