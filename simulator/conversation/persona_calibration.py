"""`empathy-sim calibrate --persona`: the persona's appraisal against real seekers (ESConv).

Deterministic mode runs on every conversation (both views of esconv_replay). With
--persona-model, the model-based modes (llm, then hybrid reusing the llm answers) run on a
stratified sample (--persona-failed failed conversations, as many successful ones matched on
emotion_type), over the first --persona-k replies, and the deterministic mode and the baselines
are recomputed on exactly that sample and prefix. Model calls go through the Gateway and its
call cache, so a rerun of the same command is free.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from simulator.conversation import esconv_replay as rp
from judges.calibration.esconv import read_esconv
from simulator.core.validity import SOURCES


@dataclass
class PersonaSettings:
    data_dir: Path
    model: str | None = None
    failed: int = 98
    k: int = 3
    seed: int = 0
    resamples: int = 1000
    cache_path: Path | None = None
    progress: bool = True
    limit: int | None = None  # conversations per source for the deterministic pass (tests)


def _bar(total: int, desc: str, on: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="conv", disable=not on)


def run_persona(st: PersonaSettings, command: str = "") -> dict:
    convs = read_esconv(st.data_dir)
    if st.limit:
        convs = [c for c in convs if not c.failed][: st.limit] + [c for c in convs if c.failed][: st.limit]
    result: dict = {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "command": command,
        "data_dir": str(st.data_dir), "seed": st.seed, "bootstrap_resamples": st.resamples,
        "prefix_k": rp.PREFIX_K, "read": {"esconv": sum(not c.failed for c in convs),
                                          "failed": sum(c.failed for c in convs)},
    }
    with _bar(len(convs), "persona appraisal (deterministic)", st.progress) as bar:
        whole = rp.replay_all(convs, "deterministic", None, progress=bar)
    prefix_convs = [c for c in convs if len(c.exchanges) >= rp.PREFIX_K]
    prefix = rp.replay_all(prefix_convs, "deterministic", rp.PREFIX_K)
    result["deterministic"] = rp.section({"prefix": prefix, "whole": whole}, st.seed, st.resamples)
    if st.model:
        from simulator.llm.gateway import GatewaySettings, build_gateway
        from simulator.core.records import ModelSpec

        sample = rp.stratified_sample([c for c in convs if len(c.exchanges) >= st.k],
                                      n_success=st.failed, seed=st.seed, n_failed=st.failed)
        gateway = build_gateway(GatewaySettings(cache_path=st.cache_path, backoff_s=0.0))
        spec = ModelSpec(model=st.model, temperature=0.0, max_tokens=160)
        with _bar(len(sample), f"persona appraisal (llm, {st.model})", st.progress) as bar:
            llm = rp.replay_all(sample, "llm", st.k, gateway=gateway, spec=spec, progress=bar)
        reuse = {(r.conv.id, i): landed for r in llm for i, landed in enumerate(r.landed) if landed}
        hybrid = rp.replay_all(sample, "hybrid", st.k, reuse=reuse)
        det = rp.replay_all(sample, "deterministic", st.k)
        used = gateway.totals["persona"]
        result["model"] = {
            "model": st.model, "k": st.k, "n": len(sample),
            "calls": used.calls, "cached_calls": used.cached_calls,
            "modes": {m: rp.measure(rows, st.k, st.seed, st.resamples)
                      for m, rows in (("deterministic", det), ("llm", llm), ("hybrid", hybrid))},
            "examples": rp.examples(llm, 6),
        }
    return result


def _cell(f: dict | None) -> str:
    if not f or f.get("value") is None:
        return "—"
    ci = f.get("ci")
    return f"{f['value']:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


ROWS = (("understood", "final felt-understood"), ("trust", "final trust"),
        ("drop", "simulated intensity drop"), ("words", "baseline: mean reply length (words)"),
        ("turns", "baseline: supporter turns"), ("initial", "baseline: seeded initial intensity"))


def table(m: dict) -> list[str]:
    lines = [f"n = {m['n']} conversations ({m['n_success']} ESConv, {m['n_failed']} FailedESConv); "
             f"{m['n_empathy']} with an empathy rating, {m['n_drop']} with both intensities.", "",
             "| score | AUC success vs failed | Spearman with empathy (all rated) | Spearman with empathy (ESConv only) | Spearman with reported intensity drop |",
             "|---|---|---|---|---|"]
    for key, label in ROWS:
        lines.append(f"| {label} | {_cell(m['auc'].get(key))} | {_cell(m['rho_empathy'].get(key))} | "
                     f"{_cell(m['rho_empathy_esconv'].get(key))} | {_cell(m['rho_drop'].get(key))} |")
    lines.append(f"\nAUC of felt-understood minus AUC of reply length (paired bootstrap): {_cell(m['auc_minus_words'])}")
    return lines


def markdown(res: dict) -> str:
    out = [f"Created {res['created']} by `{res['command']}`; data: `{res['data_dir']}`; seed {res['seed']}; "
           f"{res['bootstrap_resamples']} bootstrap resamples over conversations (percentile 95 % CI).", ""]
    det = res["deterministic"]
    for view, title in (("prefix", f"first {res['prefix_k']} replies of every conversation with at least {res['prefix_k']}"),
                        ("whole", "whole conversations")):
        for split in ("all", "report"):
            out += [f"**deterministic, {title}, {'all conversations' if split == 'all' else 'report half (hash split)'}**", ""]
            out += table(det[view][split]) + [""]
    if "model" in res:
        m = res["model"]
        out += [f"**model-based modes, {m['model']}: stratified sample, first {m['k']} replies** "
                f"({m['calls']} persona calls, {m['cached_calls']} from cache; hybrid reuses the llm answers)", ""]
        for mode, figs in m["modes"].items():
            out += [f"*{mode}*", ""] + table(figs) + [""]
        if m.get("examples"):
            out += ["Reasons the persona model gave (llm mode):", ""]
            out += [f"- {e['conversation']}: reply \"{e['reply']}\" → \"{e['reason']}\" "
                    f"(understood {e['understood']}, trust {e['trust']})" for e in m["examples"]]
    return "\n".join(out) + "\n"


def validity_block(res: dict) -> dict:
    """The validity file's `persona` block: how the deterministic appraisal's final state agreed
    with real seekers, held out (report half, first PREFIX_K replies), with length beside it."""
    m = res["deterministic"]["prefix"]["report"]
    words = m["auc"]["words"]
    block = {}
    for key in ("understood", "trust"):
        fig = m["auc"][key]
        if fig.get("value") is None:
            continue
        block[key] = {"set": "esconv", "source": SOURCES["esconv"], "metric": "auc_success_vs_failed",
                      "view": f"first {res['prefix_k']} replies, report half", "value": fig["value"],
                      "ci": fig.get("ci"), "n": fig.get("n"), "length_value": words.get("value"),
                      "length_ci": words.get("ci")}
    return {"mode": "deterministic", "created": res["created"], "command": res["command"], "figures": block}


def write(res: dict, out_dir: Path) -> tuple[Path, Path]:
    import orjson

    out_dir.mkdir(parents=True, exist_ok=True)
    js, md = out_dir / "persona_calibration.json", out_dir / "persona_calibration.md"
    js.write_bytes(orjson.dumps(res, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    md.write_text(markdown(res), "utf-8")
    return js, md
