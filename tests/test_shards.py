"""run.processes: one plan over worker processes, the parent the only writer. Real HTTP to the
loopback server, since in-process fake providers do not exist in spawned workers."""

import sys
from pathlib import Path

import orjson
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for `bench`

from bench.loopback_server import LoopbackServer  # noqa: E402
from bench.sweep_config import sweep_config  # noqa: E402
from simulator.run.config import RunConfig, plan  # noqa: E402
from simulator.run.runner import _processes, run  # noqa: E402
from simulator.run.shards import local_roles, shard_config, shard_keys  # noqa: E402
from simulator.core.store import RECORDS, iter_records  # noqa: E402

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])


def _cfg(url: str, out: Path, conversations: int, processes: int, **run) -> RunConfig:
    cfg = sweep_config(url, str(out), conversations=conversations, turns=2, concurrency=6)
    return cfg.model_copy(update={"run": cfg.run.model_copy(update={"processes": processes, **run})})


def _lines(run_dir: Path) -> list[dict]:
    return [orjson.loads(x) for x in (run_dir / RECORDS).read_bytes().splitlines() if x.strip()]


def test_sharded_run_writes_each_planned_record_once_and_resumes(tmp_path):
    with LoopbackServer(latency_ms=20.0, reply_words=20) as server:
        cfg = _cfg(server.url, tmp_path, conversations=12, processes=3)
        first = run(cfg)
        served = server.stats()["total"]
        again = run(cfg)
        served_again = server.stats()["total"] - served
    planned = {k.record_id() for k in plan(cfg)}
    lines = _lines(first.run_dir)
    assert first.status == "complete" and first.written == 12
    assert sorted(r["record_id"] for r in lines) == sorted(planned)  # each once, none lost
    assert all(r["status"] == "ok" and len(r["conversation"]["turns"]) == 4 for r in lines)
    assert served == 12 * 3  # 2 subject + 1 persona call each (the opening is scripted)
    manifest = orjson.loads((first.run_dir / "manifest.json").read_bytes())
    assert manifest["status"] == "complete" and manifest["counts"] == {"ok": 12}
    assert again.skipped == 12 and again.written == 0 and served_again == 0
    assert {r.record_id for r in iter_records(first.run_dir)} == planned


def test_budget_is_shared_by_the_workers_and_the_rest_resumes(tmp_path):
    with LoopbackServer(latency_ms=20.0, reply_words=20) as server:
        cfg = _cfg(server.url, tmp_path, conversations=16, processes=2, max_tokens_budget=2500, concurrency=2)
        stopped = run(cfg)
        rest = run(cfg.model_copy(update={"run": cfg.run.model_copy(update={"max_tokens_budget": None})}))
    assert stopped.status == "budget_exhausted" and 0 < stopped.counts["ok"] < 16
    # conversations the budget cut off are kept as budget_stop errors (never scored) and retried
    assert stopped.written == stopped.counts["ok"] + stopped.counts.get("error", 0)
    assert rest.skipped == stopped.counts["ok"] and rest.written == 16 - stopped.counts["ok"]
    assert sorted(r["record_id"] for r in _lines(rest.run_dir)) == sorted(k.record_id() for k in plan(cfg))


def test_a_worker_that_cannot_start_is_reported_and_nothing_is_written(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("EMPATHY_SIM_IMPORT", "no_such_plugin_module_xyz")
    with LoopbackServer(latency_ms=0.0) as server:
        result = run(_cfg(server.url, tmp_path, conversations=4, processes=2))
        assert server.stats()["total"] == 0
    out, err = capfd.readouterr()
    err = out + err
    assert result.status == "interrupted" and result.written == 0
    assert "worker 0" in err and "no_such_plugin_module_xyz" in err


def test_shard_split_and_bounds_are_pure():
    cfg = RunConfig.model_validate({
        "seeds": list(range(7)), "persona": ["maya_grieving_daughter"], "scenario": ["grief_missed_last_call"],
        "models": {"persona": {"model": "openai/p"}, "subject": {"model": "openai/s"}, "judge": {"model": "openai/j"}},
        "run": {"concurrency": 50, "max_in_flight_per_model": 7, "tokens_per_minute_per_model": 1000, "processes": 3}})
    keys = plan(cfg)
    shards = shard_keys(keys, 3)
    assert [len(s) for s in shards] == [3, 2, 2] and sorted(k.record_id() for s in shards for k in s) == sorted(k.record_id() for k in keys)
    assert shard_keys(keys[:2], 3) == [[keys[0]], [keys[1]]]  # no empty shards
    sub = shard_config(cfg, 3).run
    assert (sub.concurrency, sub.max_in_flight_per_model, sub.tokens_per_minute_per_model) == (17, 3, 333)
    assert sub.processes == 1 and not sub.progress
    assert shard_config(cfg, 3).config_hash() == cfg.config_hash()  # same run, same records
    assert local_roles(cfg) == [] and _processes(cfg, None, todo=7) == 3
    assert _processes(cfg, None, todo=1) == 1


def test_embedded_model_runs_in_one_process(capsys):
    cfg = RunConfig.model_validate({
        "models": {"persona": {"model": "local/smollm2-135m"}, "subject": {"model": "openai/s"},
                   "judge": {"model": "openai/j"}},
        "run": {"processes": 4}})
    assert local_roles(cfg) == ["persona"]
    assert _processes(cfg, None, todo=10) == 1
    captured = capsys.readouterr()
    assert "run.processes=4 ignored: persona on the embedded model" in captured.out + captured.err
