"""The real runner against the loopback server: every planned conversation is recorded and the
server saw exactly the model calls the records account for. A correctness test, not a timing."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for `bench`

from bench.loopback_server import LoopbackServer  # noqa: E402
from bench.sweep_config import calls_in_records, sweep_config  # noqa: E402
from simulator.run.config import plan  # noqa: E402
from simulator.run.runner import run  # noqa: E402
from simulator.core.store import iter_records  # noqa: E402

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])


def test_small_sweep_records_every_conversation_and_counts_calls(tmp_path):
    conversations, turns = 20, 2
    with LoopbackServer(latency_ms=0.0, reply_words=20) as server:
        cfg = sweep_config(server.url, str(tmp_path), conversations=conversations, turns=turns, concurrency=10)
        result = run(cfg)
        served = server.stats()
    planned = {k.record_id() for k in plan(cfg)}
    records = list(iter_records(result.run_dir))
    assert result.planned == conversations and result.written == conversations
    assert {r.record_id for r in records} == planned
    assert all(r.status == "ok" and r.conversation.stop_reason == "max_turns" for r in records)
    assert all(len(r.conversation.subject_turns()) == turns for r in records)
    seen = calls_in_records(result.run_dir)
    # The scenario's opening is scripted, so each conversation makes `turns` subject calls and
    # `turns - 1` persona calls; judging is off.
    assert seen["calls_by_role"] == {"subject": conversations * turns, "persona": conversations * (turns - 1)}
    assert served == {"total": conversations * (2 * turns - 1), "by_kind": {"ok": conversations * (2 * turns - 1)}}
