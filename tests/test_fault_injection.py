"""20% of model calls fail (429, 500, timeouts, empty, truncated, non-JSON, wrong language):
the sweep still completes, every planned conversation ends as exactly one record (ok or error,
never a score for an error), and the summary counts errors by kind."""

import sys
from pathlib import Path

import pytest

import fakes
from simulator.core.records import CRITERIA
from simulator.run.runner import run
from simulator.core.store import read_lines
from simulator.report.summary import summarize
from simulator.core.store import iter_records

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.loopback_server import LoopbackServer  # noqa: E402

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

N = 30


def test_sweep_survives_injected_faults(fake, make_cfg):
    fake.set("judge", fakes.judge_json({c: 4 for c in CRITERIA}))
    with LoopbackServer(failure_rate=0.2, seed=7, reply_words=25, hang_s=3.0) as server:
        spec = {"model": "openai/loopback", "api_base": server.url, "timeout_s": 1.0, "max_tokens": 60}
        cfg = make_cfg(seeds=list(range(N)), max_turns=3,
                       models={"persona": spec, "subject": spec, "judge": {"model": "fake/judge"}},
                       run={"concurrency": 10, "retries": 2, "backoff_s": 0.0, "name": "faults"})
        first = run(cfg)
        stats = server.stats()
        assert sum(v for k, v in stats["by_kind"].items() if k != "ok") > 0.1 * stats["total"]
        rows, bad = read_lines(first.run_dir / "records.jsonl")
        assert bad == 0
        ids = [r["record_id"] for r in rows]
        assert len(ids) == len(set(ids)) == N  # every planned conversation, once
        summary = summarize(list(iter_records(first.run_dir)), planned=N)
        errors = [r for r in rows if r["status"] == "error"]
        for r in errors:
            # an error is never scored: no verdict scores on a failed conversation
            if r["conversation"]["error"]:
                assert r["verdicts"] == []
        assert summary["records"] == N
        assert sum(summary["errors_by_kind"].values()) == len([r for r in rows if r["conversation"]["error"]])
        kinds = set(summary["errors_by_kind"])
        # persona_fidelity: a persona turn that stayed broken (here: the server's wrong-language
        # replies) in every re-sample is a non-evaluable persona error, never scored
        assert kinds <= {"empty_reply", "timeout", "rate_limit", "server_error", "provider_error",
                         "bad_request", "connection", "internal", "persona_fidelity"}, kinds
        # a persona told to speak English that answers in Chinese is flagged as a simulator error
        assert summary["fidelity_issues"].get("wrong_language", 0) > 0
        # resume: error records are retried; the set stays exactly the planned one
        second = run(cfg)
        rows2, bad2 = read_lines(second.run_dir / "records.jsonl")
        assert bad2 == 0 and sorted(r["record_id"] for r in rows2) == sorted(ids)
        assert second.written == len(errors)
        assert sum(r["status"] == "ok" for r in rows2) >= sum(r["status"] == "ok" for r in rows)
