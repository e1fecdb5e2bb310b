"""xllamacpp (a prebuilt CPU wheel) against llama-cpp-python (built from source) for `local/`.

    pip install xllamacpp   # not a project dependency: the swap was not taken (bench/README.md, (g))
    EMPATHY_SIM_THREADS=2 python3 -m bench.runtime_swap [--model qwen2.5-1.5b --rounds 4 --max-tokens 64]

Both runtimes load the same GGUF in one process with the same thread count (EMPATHY_SIM_THREADS,
for prompt evaluation and generation alike), temperature 0 and seed 0. llama-cpp-python runs
through the project's own provider (simulator.llm.local_provider: PrefixStates on, its chat
template); xllamacpp through its embedded llama.cpp server (Server.handle_chat_completions,
no HTTP client: the server still listens on a loopback port, nothing else is reached).

Measured, for the prompts a run sends (a persona-style chat turn; a judge context of several
hundred tokens followed by short yes/no questions):
  (a) repeatability: the same call gives the same text / the same logprobs, also after other
      calls and with prefix reuse on vs off;
  (b) speed, rounds interleaved A/B then B/A: generation tokens/s (the runtime's own decode
      counters) and prompt-evaluation tokens/s (full judge prompt, no reuse, wall clock),
      reported as the ratio xllamacpp / llama-cpp-python;
  (c) prefix reuse: wall of a question after its already-evaluated context vs the full prompt;
  (d) P(yes) (yes mass over yes+no mass among the top 20 at the first answer position) from both
      runtimes on the same judge prompts, and its largest difference.
Load average is printed at the start and end: other processes share the CPU, so the ratios from
interleaved rounds are the figure to read, not the absolute rates.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import simulator.llm  # noqa: F401  (offline env before litellm import)
from bench import report
from judges.llm_judges.answers import read_yes_no
from simulator.llm.local_provider import local_provider
from simulator.llm.weights import BUILTIN_MODELS, weights_path

PERSONA = [
    {"role": "system", "content": "You are Maya, 34, a nurse who lost her father three months ago. You talk to a "
                                  "friend by text: short, lower case, tired, a little guarded. Stay in character."},
    {"role": "user", "content": "hey, how are you holding up this week? i know the anniversary stuff is coming."},
]

_TURNS = [
    ("person", "I went back to work a week after the funeral because home was worse. Everyone on the ward "
               "keeps telling me I'm doing so well, and I smile and say thanks, and then I cry in the supply "
               "closet on my break."),
    ("assistant", "That sounds exhausting, holding it together for everyone and then having only a closet to "
                  "fall apart in. What is it like when they say you're doing well?"),
    ("person", "Like they need me to be fine so they don't have to think about it. My brother lives abroad and "
               "calls once a week, always with the same question, have I sorted Dad's papers yet. I haven't. "
               "I can't open the drawer."),
    ("assistant", "The drawer makes sense as a wall. Opening it would make it real in a way the funeral maybe "
                  "didn't. Does your brother know how hard that part is?"),
    ("person", "No. He thinks I'm the practical one. I was the one who did the hospital nights, the forms, the "
               "calls with the hospice. Now there's nothing to do and I don't know who I am without a list."),
    ("assistant", "For months your days were organised around caring for him, and then all of that stopped at "
                  "once. Losing the list is its own loss."),
    ("person", "I keep setting two cups out in the morning. It's stupid. He didn't even live with me, he just "
               "came round for coffee on Sundays. Last Sunday I sat there with the second cup until it went cold."),
]
CONTEXT = "\n\n".join([
    "Maya is talking with an AI assistant. About the person: a 34-year-old nurse whose father died three "
    "months ago; practical, guarded, tends to minimise her own needs.",
    "What the situation calls for: acknowledge the specific losses she names, do not rush her to fix the "
    "papers, leave room for her to say more.",
    "The conversation so far:\n" + "\n".join(f"The {who} said: \"{text}\"" for who, text in _TURNS)
    + "\nThe assistant said: \"That second cup isn't stupid. It sounds like Sunday coffee was the part of "
      "the week that was just the two of you, and the cold cup says how much of him is missing.\"",
    "The assistant's reply to judge is its last message above.",
])
QUESTIONS = [
    "Does the assistant's reply name the specific loss the person just described? Answer yes or no.",
    "Does the assistant's reply tell the person what she should do? Answer yes or no.",
    "Does the assistant's reply leave room for the person to say more? Answer yes or no.",
    "Does the assistant's reply minimise what the person feels? Answer yes or no.",
]


def judge_messages(question: str) -> list[dict]:
    return [{"role": "user", "content": CONTEXT}, {"role": "user", "content": question}]


class LlamaCppPython:
    """The current runtime, through the project's provider (the code path runs use)."""

    name = "llama-cpp-python"

    def __init__(self, model: str, threads: int) -> None:
        os.environ["EMPATHY_SIM_THREADS"] = str(threads)
        self.model = model
        self.loaded = local_provider()._get(model)
        self.llama = self.loaded.llama
        self.llama.n_threads_batch = threads  # the provider leaves it at llama-cpp's default
        self.llama.context_params.n_threads_batch = threads
        from llama_cpp import llama_cpp

        llama_cpp.llama_set_n_threads(self.llama._ctx.ctx, threads, threads)
        self.states = self.llama.prefix

    def chat(self, messages: list[dict], max_tokens: int) -> dict:
        from llama_cpp import llama_cpp

        ctx = self.llama._ctx.ctx
        llama_cpp.llama_perf_context_reset(ctx)
        t0 = time.perf_counter()
        out = local_provider().generate(self.model, messages, {"temperature": 0.0, "max_tokens": max_tokens,
                                                               "seed": 0})
        wall = time.perf_counter() - t0
        perf = llama_cpp.llama_perf_context(ctx)
        return {"text": out["choices"][0]["message"]["content"], "completion_tokens": out["usage"]["completion_tokens"],
                "prompt_tokens": out["usage"]["prompt_tokens"], "wall_s": wall,
                "gen_tps": perf.n_eval / (perf.t_eval_ms / 1e3) if perf.t_eval_ms else 0.0}

    def judge(self, question: str, reuse: bool) -> dict:
        self.llama.prefix = self.states if reuse else None
        try:
            t0 = time.perf_counter()
            out = local_provider().next_token_logprobs(self.model, judge_messages(question), 20)
            wall = time.perf_counter() - t0
        finally:
            self.llama.prefix = self.states
        top = out["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        return {"top": [(t["token"], t["logprob"]) for t in top], "prompt_tokens": out["usage"]["prompt_tokens"],
                "wall_s": wall}

    def forget(self) -> None:
        self.states.clear()


class XLlamaCpp:
    """xllamacpp's embedded llama.cpp server, called in-process."""

    name = "xllamacpp"

    def __init__(self, model: str, threads: int, flash_attn: str = "auto") -> None:
        import xllamacpp as xlc

        p = xlc.CommonParams()
        p.model.path = str(weights_path(model))
        p.n_ctx = BUILTIN_MODELS[model].n_ctx
        p.n_parallel = 1
        p.cpuparams.n_threads = threads
        p.cpuparams_batch.n_threads = threads
        p.sampling.seed = 0
        p.verbosity = -1
        # llama-cpp-python's default is off; the server's is auto (on where the backend has it).
        p.flash_attn_type = {"auto": xlc.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_AUTO,
                             "off": xlc.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_DISABLED}[flash_attn]
        self.server = xlc.Server(p)

    def _call(self, body: dict) -> dict:
        out = self.server.handle_chat_completions(body)
        if "error" in out:
            raise RuntimeError(f"xllamacpp handle_chat_completions: {out['error']}")
        return out

    def chat(self, messages: list[dict], max_tokens: int) -> dict:
        t0 = time.perf_counter()
        out = self._call({"messages": messages, "max_tokens": max_tokens, "temperature": 0.0, "seed": 0,
                          "cache_prompt": False})
        wall = time.perf_counter() - t0
        return {"text": out["choices"][0]["message"]["content"], "completion_tokens": out["usage"]["completion_tokens"],
                "prompt_tokens": out["usage"]["prompt_tokens"], "wall_s": wall,
                "gen_tps": out["timings"]["predicted_per_second"]}

    def judge(self, question: str, reuse: bool) -> dict:
        t0 = time.perf_counter()
        out = self._call({"messages": judge_messages(question), "max_tokens": 1, "temperature": 0.0, "seed": 0,
                          "logprobs": True, "top_logprobs": 20, "cache_prompt": reuse})
        wall = time.perf_counter() - t0
        top = out["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        return {"top": [(t["token"], t["logprob"]) for t in top], "prompt_tokens": out["usage"]["prompt_tokens"],
                "cached": out["timings"]["cache_n"], "wall_s": wall}

    def forget(self) -> None:
        # Another prompt evicts the context from the single slot; the server's RAM prompt cache may
        # still hold it, so the cold call below also goes with cache_prompt off.
        self._call({"messages": [{"role": "user", "content": "ok"}], "max_tokens": 1, "cache_prompt": False})


def p_yes(top: list[tuple[str, float]]) -> float:
    return read_yes_no(top).p_yes


def repeatability(rt: Any, max_tokens: int) -> dict:
    """Same call, other calls between, prefix reuse on and off: do outputs stay identical?"""
    a = rt.chat(PERSONA, max_tokens)["text"]
    rt.judge(QUESTIONS[0], reuse=True)
    b = rt.chat(PERSONA, max_tokens)["text"]
    rt.forget()
    cold = rt.judge(QUESTIONS[1], reuse=False)["top"]
    rt.judge(QUESTIONS[0], reuse=True)  # leaves the context evaluated
    warm = rt.judge(QUESTIONS[1], reuse=True)["top"]
    again = rt.judge(QUESTIONS[1], reuse=True)["top"]  # whole prompt already there
    return {"chat_same_text": a == b, "chat_text": a,
            "judge_reuse_vs_cold_same_logprobs": warm == cold, "judge_repeat_same_logprobs": warm == again,
            "judge_reuse_vs_cold_dp_yes": abs(p_yes(warm) - p_yes(cold)),
            "judge_repeat_dp_yes": abs(p_yes(warm) - p_yes(again))}


def one_round(rt: Any, max_tokens: int) -> dict:
    chat = rt.chat(PERSONA, max_tokens)
    rt.forget()
    full = rt.judge(QUESTIONS[2], reuse=False)
    rt.judge(QUESTIONS[0], reuse=True)
    suffix = rt.judge(QUESTIONS[3], reuse=True)
    return {"runtime": rt.name, "gen_tokens": chat["completion_tokens"], "gen_tps": chat["gen_tps"],
            "chat_wall_s": chat["wall_s"], "judge_prompt_tokens": full["prompt_tokens"],
            "prompt_tps": full["prompt_tokens"] / full["wall_s"], "full_judge_s": full["wall_s"],
            "suffix_judge_s": suffix["wall_s"], "suffix_cached_tokens": suffix.get("cached")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.runtime_swap", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="qwen2.5-1.5b")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--flash-attn", choices=("auto", "off"), default="auto", help="xllamacpp's flash attention")
    p.add_argument("--out", default=None, help="JSON path (default bench/results/runtime_swap.json)")
    ns = p.parse_args(argv)
    threads = int(os.environ.get("EMPATHY_SIM_THREADS", os.cpu_count() or 1))
    load_start = os.getloadavg()
    loads = {}
    t0 = time.perf_counter()
    a = LlamaCppPython(ns.model, threads)
    loads["llama-cpp-python"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    b = XLlamaCpp(ns.model, threads, ns.flash_attn)
    loads["xllamacpp"] = time.perf_counter() - t0
    runtimes = [a, b]

    rep = {rt.name: repeatability(rt, ns.max_tokens) for rt in runtimes}
    for name, r in rep.items():
        print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in r.items() if k != "chat_text"))
    print("chat texts equal across runtimes:", rep[a.name]["chat_text"] == rep[b.name]["chat_text"])

    agreement = []
    for q in QUESTIONS:
        pa, pb = p_yes(a.judge(q, reuse=True)["top"]), p_yes(b.judge(q, reuse=True)["top"])
        agreement.append({"question": q[:50], "p_yes_llama_cpp_python": pa, "p_yes_xllamacpp": pb,
                          "diff": pb - pa})
    print(report.table(agreement))

    rows = []
    for i in range(ns.rounds):
        for rt in (runtimes if i % 2 == 0 else runtimes[::-1]):
            rows.append({"round": i, **one_round(rt, ns.max_tokens)})
    print(report.table(rows))

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in rows if r["runtime"] == name)

    ratios = {key: med(b.name, key) / med(a.name, key) for key in ("gen_tps", "prompt_tps")}
    # Per round, each runtime's figure against the other's from the same round (nearest in time).
    paired = {key: sorted(next(r[key] for r in rows if r["round"] == i and r["runtime"] == b.name)
                          / next(r[key] for r in rows if r["round"] == i and r["runtime"] == a.name)
                          for i in range(ns.rounds)) for key in ("gen_tps", "prompt_tps")}
    reuse = {rt.name: med(rt.name, "suffix_judge_s") / med(rt.name, "full_judge_s") for rt in runtimes}
    load_end = os.getloadavg()
    summary = {
        "threads": threads, "load_avg_start": load_start, "load_avg_end": load_end, "load_s": loads,
        "ratio_gen_tps_x_over_lcp": ratios["gen_tps"], "ratio_prompt_tps_x_over_lcp": ratios["prompt_tps"],
        "per_round_ratio_gen_tps": paired["gen_tps"], "per_round_ratio_prompt_tps": paired["prompt_tps"],
        "suffix_over_full_wall": reuse,
        "max_abs_p_yes_diff": max(abs(r["diff"]) for r in agreement),
        "median_gen_tps": {rt.name: med(rt.name, "gen_tps") for rt in runtimes},
        "median_prompt_tps": {rt.name: med(rt.name, "prompt_tps") for rt in runtimes},
    }
    for k, v in summary.items():
        print(f"{k}: {v}")
    try:
        import importlib.metadata as md

        versions = {"xllamacpp": md.version("xllamacpp"), "llama_cpp_python": md.version("llama_cpp_python")}
    except Exception:  # noqa: BLE001 - versions are informational
        versions = {}
    path = report.write("runtime_swap", {"model": ns.model, "max_tokens": ns.max_tokens, "rounds": ns.rounds,
                                         "xllamacpp_flash_attn": ns.flash_attn,
                                         "versions": versions, "summary": summary, "repeatability": rep,
                                         "agreement": agreement, "rows": rows}, ns.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
