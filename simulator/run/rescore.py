"""Re-judge saved conversations without re-running them.

Verdicts go to verdicts/<judge-tag>.jsonl beside records.jsonl (records are never edited), where
store.iter_records merges them (newest file first) so summary, report and export see them. The
file name derives from the judge spec, so rerunning the same re-judge resumes it: judged record
ids are skipped and a torn last line is trimmed, exactly like a run.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import orjson
from tqdm import tqdm

from judges.llm_judges.methods import resolve_method
from judges.seam import FinishedConversation
from simulator.llm.call import Gateway, shutdown_litellm
from simulator.llm.gateway import GatewaySettings, build_gateway
from simulator.run.config import RunConfig
from simulator.run.scoring import judge_scorers, score_conversation
from simulator.core.records import ModelSpec
from simulator.core.store import RunStore, iter_records, read_lines


def gateway_for_run(run_dir: Path, *, cache_path: str | None = None, no_cache: bool = False) -> Gateway:
    """A gateway with the run's own bounds (in flight, retries, tokens per minute, budget: a
    re-judge gets the run's budget as its own) and its call cache, unless overridden."""
    manifest = RunStore(Path(run_dir)).read_manifest() or {}
    try:
        settings = RunConfig.model_validate(manifest["config"]).gateway_settings()
    except (KeyError, TypeError, ValueError):  # a run from an older version: defaults, the usual cache
        settings = GatewaySettings(cache_path=Path(run_dir).parent / ".cache" / "calls.sqlite3")
    if no_cache:
        settings = settings.model_copy(update={"cache_path": None})
    elif cache_path:
        settings = settings.model_copy(update={"cache_path": Path(cache_path)})
    return build_gateway(settings)


def verdict_file(run_dir: Path, spec: ModelSpec, rubric_id: str, structured: str = "schema",
                 method: str = "structured") -> Path:
    extra = ([] if structured == "schema" else [structured]) + ([] if method == "structured" else [method])
    tag = hashlib.sha256(orjson.dumps([spec.model_dump(mode="json"), rubric_id] + extra,
                                      option=orjson.OPT_SORT_KEYS)).hexdigest()[:10]
    safe = spec.model.replace("/", "_").replace(":", "_")
    return Path(run_dir) / "verdicts" / f"{safe}-{tag}.jsonl"


def _compact(path: Path) -> set[str]:
    """Keep one ok verdict per record id (errors are retried); rewrite atomically if needed."""
    rows, bad = read_lines(path)
    latest = {r["record_id"]: r for r in rows}
    kept = [r for r in latest.values() if r["verdict"]["status"] == "ok"]
    if bad or len(kept) != len(rows):
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in kept))
        os.replace(tmp, path)
    return {r["record_id"] for r in kept}


async def rejudge_async(run_dir: Path, specs: list[ModelSpec], gateway: Gateway, *,
                        rubric_id: str = "relational_empathy", concurrency: int = 4,
                        progress: bool = True, structured: str = "schema", method: str = "auto") -> list[Path]:
    records = [r for r in iter_records(run_dir) if r.conversation.error is None and r.conversation.turns]
    outputs = []
    for spec in specs:
        path = verdict_file(run_dir, spec, rubric_id, structured, resolve_method(method, spec.model))
        path.parent.mkdir(parents=True, exist_ok=True)
        done = _compact(path) if path.exists() else set()
        todo = [r for r in records if r.record_id not in done]
        sem = asyncio.Semaphore(concurrency)

        scorers = judge_scorers(gateway, [spec], method=method, rubric_id=rubric_id, structured=structured)

        async def one(rec):
            async with sem:  # the run's own scoring step, with only the new judge
                scored = await score_conversation(FinishedConversation.of(rec), scorers)
                return rec.record_id, scored.verdicts[0]

        with open(path, "ab") as fh, tqdm(total=len(records), initial=len(done), desc=f"judge {spec.model}",
                                           disable=not progress) as bar:
            for fut in asyncio.as_completed([one(r) for r in todo]):
                rid, verdict = await fut
                fh.write(orjson.dumps({"record_id": rid, "verdict": verdict.model_dump(mode="json")}) + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
                bar.update(1)
        outputs.append(path)
    return outputs


def rejudge(run_dir: Path, specs: list[ModelSpec], gateway: Gateway, **kw) -> list[Path]:
    async def main():
        try:
            return await rejudge_async(run_dir, specs, gateway, **kw)
        finally:
            await shutdown_litellm()

    return asyncio.run(main())
