"""Raw `litellm.acompletion` client CPU per call against the loopback server, nothing of ours around it.

Standalone (imports litellm only), so it runs in a venv holding another litellm release:

    python -m bench.loopback_server --port 8799 --latency-ms 200 &
    python bench/litellm_raw.py http://127.0.0.1:8799/v1 --calls 500 --concurrency 50 --rounds 2
    python -m venv /tmp/lt && /tmp/lt/bin/pip install litellm==1.80.0
    /tmp/lt/bin/python bench/litellm_raw.py http://127.0.0.1:8799/v1 --calls 500 --concurrency 50 --rounds 2

Prints one line: the litellm and openai versions, then CPU ms per call (and wall) per round, after
20 warm-up calls. It leaves with os._exit: some litellm releases keep a logging worker that
holds asyncio.run's shutdown.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata as md
import os
import resource
import time

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # before import: no price-map fetch


def cpu_s() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


async def run(url: str, calls: int, concurrency: int, rounds: int) -> list[tuple[float, float]]:
    import litellm

    litellm.telemetry = False
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            await litellm.acompletion(model="openai/loop", api_base=url, api_key="sk-loopback", max_retries=0,
                                      max_tokens=32, messages=[{"role": "user", "content": f"hello {i}"}])

    await asyncio.gather(*(one(i) for i in range(20)))
    out = []
    for _ in range(rounds):
        c0, w0 = cpu_s(), time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(calls)))
        out.append(((cpu_s() - c0) / calls * 1000, time.perf_counter() - w0))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    rows = asyncio.new_event_loop().run_until_complete(run(a.url, a.calls, a.concurrency, a.rounds))
    print(f"litellm {md.version('litellm')} openai {md.version('openai')}:",
          " ".join(f"{ms:.2f} ms/call ({w:.1f} s)" for ms, w in rows), flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
