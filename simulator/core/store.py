"""records.jsonl and manifest.json: append-only, flushed per conversation, resumable.

One writer per run directory. On open it trims a half-written last line (a crash mid-write),
drops error records (they will be retried) and rewrites the file atomically, so the file always
holds at most one record per id and every line parses.

iter_records is the one run loader (summary, report, export and re-judging all read through it).
It merges re-judged verdicts: `empathy-sim judge` writes verdicts/<judge-tag>.jsonl beside
records.jsonl (records are never edited), and the loader puts each file's ok verdicts for a
record in front of the record's own, newest file first (by modification time, then name). So the
latest re-judge becomes the primary judge (summary.primary_verdict: the first ok verdict) and the
run's own judges and older re-judges stay behind it for agreement. A re-judge's error verdicts
are not merged: a failed re-judge never makes a scored record non-evaluable.
"""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import orjson

from simulator.core.records import SCHEMA_VERSION, JudgeVerdict, RunRecord

RECORDS = "records.jsonl"
MANIFEST = "manifest.json"
VERDICTS = "verdicts"


class ConfigChanged(RuntimeError):
    pass


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _fsync_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_lines(path: Path) -> tuple[list[dict], int]:
    """Parsed records and the count of unparseable lines (only a torn last line is expected)."""
    if not path.exists():
        return [], 0
    good, bad = [], 0
    with open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                good.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                bad += 1
    return good, bad


def read_verdicts(path: Path) -> dict[str, JudgeVerdict]:
    """record id -> verdict of one verdicts/<tag>.jsonl file (the last line per id)."""
    rows, _ = read_lines(path)
    return {r["record_id"]: JudgeVerdict.model_validate(r["verdict"]) for r in rows}


def verdict_files(run_dir: Path) -> list[Path]:
    """The run's re-judge files, newest first (modification time, then name)."""
    files = [p for p in (Path(run_dir) / VERDICTS).glob("*.jsonl") if p.is_file()]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)


def iter_records(run_dir: Path) -> Iterator[RunRecord]:
    """Validated records, the last per id, with re-judged verdicts merged in front (see the module
    docstring); refuses records from a newer schema."""
    rows, _ = read_lines(Path(run_dir) / RECORDS)
    latest: dict[str, dict] = {}
    for row in rows:
        if row.get("schema_version", 0) > SCHEMA_VERSION:
            raise RuntimeError(
                f"{run_dir}: record schema {row['schema_version']} is newer than this code's "
                f"{SCHEMA_VERSION}; upgrade empathy-sim to read it"
            )
        latest[row["record_id"]] = row
    rejudged = [read_verdicts(p) for p in verdict_files(run_dir)]
    for row in latest.values():
        rec = RunRecord.model_validate(row)
        extra = [v for vs in rejudged if (v := vs.get(rec.record_id)) is not None and v.status == "ok"]
        if extra:
            rec = rec.model_copy(update={"verdicts": extra + rec.verdicts})
        yield rec


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("empathy-sim", "litellm", "langgraph", "pydantic", "hydra-core", "llama_cpp_python"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


class RunStore:
    def __init__(self, run_dir: Path) -> None:
        self.dir = Path(run_dir)
        self.records_path = self.dir / RECORDS
        self.manifest_path = self.dir / MANIFEST
        self._fh = None
        self._resumed_ok = 0

    def read_manifest(self) -> dict | None:
        if not self.manifest_path.exists():
            return None
        return orjson.loads(self.manifest_path.read_bytes())

    def open(self, *, config_hash: str, config: dict, planned: list[str], force: bool) -> set[str]:
        """Prepare the directory; returns the record ids already finished (status ok)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        old = self.read_manifest()
        if old and old.get("config_hash") != config_hash and not force:
            raise ConfigChanged(
                f"{self.dir} holds a run with config {old.get('config_hash')}, this config is "
                f"{config_hash}; use a new run.name, or run.force=true to continue it anyway"
            )
        rows, bad = read_lines(self.records_path)
        latest: dict[str, dict] = {}
        for row in rows:
            latest[row["record_id"]] = row
        done = {rid for rid, row in latest.items() if row.get("status") == "ok"}
        kept = [row for rid, row in latest.items() if rid in done]
        if bad or len(kept) != len(rows):
            # Compact: drop torn lines, superseded and error records (errors are retried).
            _fsync_write(self.records_path, b"".join(orjson.dumps(r) + b"\n" for r in kept))
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "config_hash": config_hash,
            "config": config,
            "planned": len(planned),
            "planned_ids": planned,
            "versions": versions(),
            "created_at": (old or {}).get("created_at", now_iso()),
            "updated_at": now_iso(),
            "status": "running",
        }
        _fsync_write(self.manifest_path, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        self._fh = open(self.records_path, "ab")
        self._resumed_ok = len(done)
        return done

    def append(self, record: RunRecord) -> None:
        """Write one record as one line and flush it to disk before returning."""
        self.append_line(orjson.dumps(record.model_dump(mode="json")))

    def append_line(self, line: bytes) -> None:
        """Append one serialised record (a worker process's) and flush it to disk."""
        assert self._fh is not None, "RunStore.open() first"
        self._fh.write(line.rstrip(b"\n") + b"\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self, status: str, counts: dict | None = None) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        manifest = self.read_manifest() or {}
        # counts cover the whole run directory: this session's records plus the ok ones it resumed
        total = dict(counts or {})
        if self._resumed_ok:
            total["ok"] = total.get("ok", 0) + self._resumed_ok
        manifest.update({"status": status, "updated_at": now_iso(), "counts": total})
        _fsync_write(self.manifest_path, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
