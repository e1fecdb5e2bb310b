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

from judges.methods import judge, resolve_method
from simulator.llm.call import Gateway, shutdown_litellm
from simulator.records import ModelSpec
from simulator.store import iter_records, read_lines, read_verdicts  # noqa: F401 - read_verdicts re-exported


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

        async def one(rec):
            async with sem:
                return rec.record_id, await judge(
                    gateway, spec, rec.persona, rec.scenario, rec.conversation, rec.trajectory,
                    method=method, rubric_id=rubric_id, seed=rec.key.seed, subject_model=rec.key.subject,
                    structured=structured)

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
