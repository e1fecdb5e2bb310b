"""The calibration run: read the data, score it (instruments, length baseline, optional LLM
judges), compute the figures, run the metamorphic checks, and collect one JSON-able result.

Instruments and the baseline run on the full sets (or --limit per set). Judges run on a smaller
deterministic sample per set (--judge-limit, nested within the instruments' sample), and that
sample gets its own section in which instruments and baseline are recomputed on the same items.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from judges.calibration import datasets as ds
from judges.calibration.evaluate import section_seed, with_baseline
from judges.calibration.scorers import INSTRUMENTS, PROB_CRITERIA, judge_scorer_names, score_all

# Replies the judge scores per PAIR prompt (mq1 is left out: no hq-vs-lq pair needs it).
PAIR_JUDGED = ("hq1", "hq2", "lq1", "lq2", "lq3", "lq4", "lq5")


@dataclass
class Settings:
    data_dir: Path
    limit: int | None = None
    judge_limit: int = 30
    # per set family (epitome, pair, welivita_pu, aita): the judge sample size there instead
    # of judge_limit; 0 leaves the set unjudged (e.g. --judge-limit 0 --judge-set-limit aita=75)
    judge_set_limits: dict[str, int] = field(default_factory=dict)
    judge_models: list[str] = field(default_factory=list)
    judge_method: str = "auto"  # as judge.method: prob on local/ models, structured elsewhere
    seed: int = 0
    resamples: int = 1000
    concurrency: int = 4
    max_tokens: int = 300
    cache_path: Path | None = None
    progress: bool = True
    metamorphic: bool = True


@dataclass
class Data:
    epitome: dict[str, list[ds.EpitomeItem]]
    pair: list[ds.PairItem]
    wp: list[ds.WPItem]
    read: dict[str, dict]


def load(settings: Settings) -> Data:
    """Read every set and apply --limit (deterministic, nested samples)."""
    read: dict[str, dict] = {}
    epitome = {}
    for mech in ds.EPITOME_FILES:
        st = ds.ReadStats()
        items = ds.read_epitome(settings.data_dir, mech, st)
        epitome[mech] = ds.sample(items, settings.limit, settings.seed, "epitome")
        read[f"epitome/{mech}"] = {"rows": st.rows, "skipped": st.skipped, "used": len(epitome[mech])}
    st = ds.ReadStats()
    pair = ds.sample(ds.read_pair(settings.data_dir, st), settings.limit, settings.seed, "pair")
    read["pair"] = {"rows": st.rows, "skipped": st.skipped, "used": len(pair)}
    st = ds.ReadStats()
    wp = ds.sample(ds.read_welivita_pu(settings.data_dir, st), settings.limit, settings.seed, "welivita_pu")
    read["welivita_pu"] = {"rows": st.rows, "skipped": st.skipped, "used": len(wp)}
    return Data(epitome, pair, wp, read)


def _units(name: str, items: list) -> list[list[tuple[str, str]]]:
    """(reply, context) pairs per resampling unit."""
    if name.startswith("epitome/"):
        return [[(it.response, it.seeker)] for it in items]
    if name == "pair":
        return [[(it.replies[k], it.prompt) for k in ds.PAIR_REPLIES] for it in items]
    return [[(it.replies[k], it.speaker) for k in ds.WP_KINDS] for it in items]


def _instrument_scores(name: str, items: list) -> dict[str, np.ndarray]:
    units = _units(name, items)
    width = len(units[0]) if units else 1
    flat = score_all(INSTRUMENTS[name.split("/")[-1]], [p for u in units for p in u])
    return {k: np.asarray(v, float).reshape(-1, width).squeeze(axis=1) if width == 1
            else np.asarray(v, float).reshape(-1, width) for k, v in flat.items()}


def _learned_cv(name: str, items: list) -> dict[str, np.ndarray]:
    """In-set cross-validated scores of the learned heads (judges/calibration/crossval.py)."""
    from judges.calibration.crossval import oof_scores

    return oof_scores(name, items)


def _embedding_cache(settings: Settings, save: bool) -> None:
    """Sentence embeddings kept beside the call cache (embeddings.npz), so a rerun skips them."""
    if settings.cache_path is None:
        return
    from judges.instruments import embeddings

    path = Path(settings.cache_path).parent / "embeddings.npz"
    (embeddings.save_disk_cache if save else embeddings.load_disk_cache)(path)


def _labels(name: str, items: list) -> np.ndarray | None:
    if name.startswith("epitome/"):
        return np.asarray([it.level for it in items], int)
    if name == "welivita_pu":
        return np.asarray([[it.ratings[k] for k in ds.WP_KINDS] for it in items], int)
    return None


def _kind(name: str) -> str:
    return "epitome" if name.startswith("epitome/") else name


def _role(name: str) -> str:
    from judges.calibration.judge import ROLES  # imports litellm: only when judging

    return ROLES[_kind(name)]


def _judge_jobs(name: str, items: list) -> list[list[tuple[str, str, str] | None]]:
    """Per unit, the judge job of each reply (None where the judge does not score it)."""
    role = _role(name)
    out = []
    for unit in _units(name, items):
        if name == "pair":
            out.append([(c, r, role) if k in PAIR_JUDGED else None
                        for (r, c), k in zip(unit, ds.PAIR_REPLIES)])
        else:
            out.append([(c, r, role) for r, c in unit])
    return out


def run_judges(settings: Settings, samples: dict[str, list]) -> tuple[dict, dict]:
    """Judge every distinct reply of the judge samples with each model.

    Returns ({model: {job: verdict}}, {model: call stats}).
    """
    if not settings.judge_models:
        return {}, {}
    from tqdm import tqdm

    from judges.calibration.judge import judge_many
    from judges.llm_judges.methods import resolve_method
    from simulator.llm.gateway import GatewaySettings, build_gateway
    from simulator.core.records import ModelSpec

    job_sets: dict[tuple, list[str]] = {}
    for name, items in samples.items():
        for unit in _judge_jobs(name, items):
            for j in unit:
                if j:
                    job_sets.setdefault(j, []).append(name.split("/")[-1])
    jobs = list(job_sets)
    gateway = build_gateway(GatewaySettings(cache_path=settings.cache_path))
    verdicts, stats = {}, {}
    for model in settings.judge_models:
        spec = ModelSpec(model=model, temperature=0.0, max_tokens=settings.max_tokens)
        before = gateway.totals["judge"]
        method = model_part(resolve_method(settings.judge_method, model))
        with tqdm(total=len(jobs), desc=f"judge {model} ({method})", unit="reply",
                  disable=not settings.progress) as bar:
            if method == "prob":
                results = asyncio.run(prob_scores(gateway, spec, jobs, bar, [
                    tuple(dict.fromkeys(c for n in job_sets[j] for c in PROB_CRITERIA[n])) for j in jobs]))
            else:
                results = asyncio.run(judge_many(gateway, spec, jobs, concurrency=settings.concurrency,
                                                 progress=bar))
        used = gateway.totals["judge"]
        verdicts[judge_label(model, method)] = dict(zip(jobs, results))
        errors = [r["error"] for r in results if r["error"]]
        stats[judge_label(model, method)] = {"replies": len(jobs), "calls": used.calls - before.calls,
                        "cached_calls": used.cached_calls - before.cached_calls,
                        "prompt_tokens": used.prompt_tokens - before.prompt_tokens,
                        "completion_tokens": used.completion_tokens - before.completion_tokens,
                        "errors": len(errors), "first_error": errors[0] if errors else None}
    return verdicts, stats


def run_aita_judges(settings: Settings, items: list) -> dict[str, dict]:
    """Every AITA reply judged on conflict avoidance by each judge: {label: {item_id: verdict}}."""
    from tqdm import tqdm

    from judges.calibration import aita
    from judges.calibration.judge import judge_many
    from judges.llm_judges.methods import resolve_method
    from simulator.llm.gateway import GatewaySettings, build_gateway
    from simulator.core.records import ModelSpec

    gateway = build_gateway(GatewaySettings(cache_path=settings.cache_path))
    jobs = [(aita.judge_post(it.post), it.reply, aita.ROLE) for it in items]
    out = {}
    for model in settings.judge_models:
        spec = ModelSpec(model=model, temperature=0.0, max_tokens=settings.max_tokens)
        method = model_part(resolve_method(settings.judge_method, model))
        with tqdm(total=len(jobs), desc=f"judge {model} ({method}) on AITA", unit="reply",
                  disable=not settings.progress) as bar:
            if method == "prob":
                results = asyncio.run(prob_scores(gateway, spec, jobs, bar, (aita.CRITERION,)))
            else:
                results = asyncio.run(judge_many(gateway, spec, jobs, concurrency=settings.concurrency, progress=bar))
        out[judge_label(model, method)] = {it.item_id: r for it, r in zip(items, results)}
    return out


def aita_section(settings: Settings) -> dict | None:
    """The AITA sycophancy figures (conflict avoidance), or None where the set is absent."""
    from judges.calibration import aita

    try:
        items = aita.read_aita(settings.data_dir)
    except ds.DatasetError:
        return None
    items = ds.sample(items, settings.limit, settings.seed, "aita")
    entry = {"all": aita.section(items, aita.instrument_scores(items), settings.seed, settings.resamples)}
    if settings.judge_models and judge_limit(settings, "aita"):  # as the other sets: judges on a nested sample
        sub = ds.sample(items, judge_limit(settings, "aita"), settings.seed, "aita")
        scores = {**aita.instrument_scores(sub), **aita.judge_scores(sub, run_aita_judges(settings, sub))}
        entry["judge_sample"] = aita.section(sub, scores, settings.seed, settings.resamples)
    return entry


def judge_limit(settings: Settings, name: str) -> int:
    """The judge sample size for a set (`epitome/...` counts as `epitome`)."""
    return settings.judge_set_limits.get(name.split("/")[0], settings.judge_limit)


def model_part(method: str) -> str:
    """What calibrate runs on the model for a method: the hybrid's model part is the prob judge
    (its instrument criteria are measured among the instruments on every item, and the validity
    file composes the two: judges/calibration/validity.py)."""
    return "prob" if method == "hybrid" else method


def judge_label(model: str, method: str) -> str:
    """How a judge is named in the figures: the model, tagged when it is the probability judge."""
    return f"{model}+prob" if method == "prob" else model


async def prob_scores(gateway, spec, jobs: list[tuple[str, str, str]], bar,
                      criteria: tuple[str, ...] | list[tuple[str, ...]]) -> list[dict]:
    """The probability judge on (context, reply, role) jobs, as {"scores": {criterion: 1..5}};
    `criteria`: the ones to ask, for every job or per job."""
    from judges.calibration.judge import PROB_ROLES
    from judges.llm_judges.prob import score_exchanges, to_score

    raw = await score_exchanges(gateway, spec, [(c, r, PROB_ROLES[role]) for c, r, role in jobs], criteria,
                                progress=bar)
    return [{"scores": {c: to_score(p) for c, p in r["p"].items()} if r["p"] else None, "error": r["error"]}
            for r in raw]


def _judge_scores(name: str, items: list, verdicts: dict) -> dict[str, np.ndarray]:
    from judges.calibration.judge import criterion_mean

    out = {}
    jobs = _judge_jobs(name, items)
    for model, by_job in verdicts.items():
        for scorer, criteria in judge_scorer_names(name.split("/")[-1], model).items():
            rows = [[criterion_mean(by_job[j]["scores"], criteria) if j else np.nan for j in unit]
                    for unit in jobs]
            arr = np.asarray(rows, float)
            if not np.isfinite(arr).any():
                continue  # a criterion this judge was not asked on this set
            out[scorer] = arr.squeeze(axis=1) if arr.shape[1] == 1 else arr
    return out


def _section(name: str, items: list, scores: dict[str, np.ndarray], settings: Settings, tag: str) -> dict:
    res = with_baseline(_kind(name), scores, _labels(name, items),
                        section_seed(settings.seed, name, tag), settings.resamples, ds.WP_KINDS)
    return {"n_units": len(items), "scorers": res}


def calibrate(settings: Settings, command: str = "") -> dict:
    """The whole calibration; returns the calibration.json content."""
    data = load(settings)
    _embedding_cache(settings, save=False)
    sets: dict[str, list] = {f"epitome/{m}": items for m, items in data.epitome.items()}
    sets["pair"] = data.pair
    sets["welivita_pu"] = data.wp
    samples = {name: ds.sample(items, judge_limit(settings, name), settings.seed, name.split("/")[0])
               for name, items in sets.items()} if settings.judge_models else {}
    verdicts, judge_stats = run_judges(settings, samples)
    result: dict = {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command, "data_dir": str(settings.data_dir), "seed": settings.seed,
        "bootstrap_resamples": settings.resamples, "limit": settings.limit,
        "judge_limit": settings.judge_limit if settings.judge_models else None,
        "judge_set_limits": dict(settings.judge_set_limits) if settings.judge_models else {},
        "judge_models": settings.judge_models, "judge_calls": judge_stats,
        "read": data.read, "datasets": {},
    }
    for name, items in sets.items():
        scores = {**_instrument_scores(name, items), **_learned_cv(name, items)}
        entry = {"all": _section(name, items, scores, settings, "all")}
        if name in samples and samples[name]:
            sub = samples[name]
            scores = {**_instrument_scores(name, sub), **_judge_scores(name, sub, verdicts)}
            entry["judge_sample"] = _section(name, sub, scores, settings, "judge_sample")
        result["datasets"][name] = entry
    if (aita_entry := aita_section(settings)) is not None:
        result["datasets"]["aita_sycophancy"] = aita_entry
    if settings.metamorphic:
        from judges.calibration.metamorphic import run_metamorphic

        result["metamorphic"] = run_metamorphic(data.pair, data.epitome, settings.seed, settings.resamples)
    _embedding_cache(settings, save=True)
    return result
