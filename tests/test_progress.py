"""The run's progress moves with every model call, through the real call site, and ends exact."""

import fakes
from simulator.run.config import plan
from simulator.run.estimate import estimate_key
from simulator.llm.usage_scope import current_listener
from simulator.run.progress import Progress, ProgressSnapshot, describe
from simulator.core.records import CRITERIA
from simulator.run.runner import run
from simulator.core.store import iter_records

SCORES = {c: 4 for c in CRITERIA}


def watching_subject(seen: list):
    """Subject fake that, at each call, notes the run's progress as the bar would show it."""
    script = fakes.subject_script(fakes.WARM)

    def respond(messages, params):
        progress = current_listener().__self__  # the Progress whose on_call the call site tells
        seen.append(progress)
        seen.append(progress.snapshot())
        return script(messages, params)

    return respond


def setup(fake, seen, delay_s=0.0):
    fake.set("persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "yeah"]))
    fake.set("subject", watching_subject(seen), delay_s=delay_s)
    fake.set("judge", fakes.judge_json(SCORES))


def test_counts_move_with_each_call_before_a_conversation_finishes(fake, make_cfg):
    seen: list = []
    setup(fake, seen)
    # maya's scenario opens with its scripted line, so a conversation of 3 replies is
    # subject, persona, subject, persona, subject, judge: 6 calls
    cfg = make_cfg(seeds=[0, 1], run={"concurrency": 1})
    result = run(cfg)
    snaps = [s for s in seen if isinstance(s, ProgressSnapshot)]
    # taken as each subject call starts: calls ended so far, conversations written so far
    assert [(s.calls, s.replies, s.conversations_done) for s in snaps] == [
        (0, 0, 0), (2, 1, 0), (4, 2, 0), (6, 3, 1), (8, 4, 1), (10, 5, 1)]
    assert all(s.expected_calls == 12 and s.conversations_planned == 2 for s in snaps[:3])
    final = seen[0].snapshot()
    assert (final.calls, final.expected_calls, final.replies, final.conversations_done) == (12, 12, 6, 2)
    assert final.calls == len(fake.calls)
    records = list(iter_records(result.run_dir))
    assert final.calls == sum(u.calls for r in records for u in r.usage.values())
    assert final.tokens == sum(u.prompt_tokens + u.completion_tokens for r in records for u in r.usage.values())
    assert final.eta_s == 0.0 and final.errors == 0


def test_concurrent_run_counts_every_call_and_resume_counts_what_is_done(fake, make_cfg):
    seen: list = []
    setup(fake, seen, delay_s=0.01)
    cfg = make_cfg(seeds=[0, 1, 2, 3], run={"concurrency": 4})
    result = run(cfg)
    snaps = [s for s in seen if isinstance(s, ProgressSnapshot)]
    assert any(s.calls > 0 and s.conversations_done == 0 for s in snaps)  # moved before any was written
    final = seen[0].snapshot()
    assert (final.calls, final.conversations_done, final.replies) == (len(fake.calls), 4, 12) == (24, 4, 12)
    # two records lost (as after a crash): the two on disk count as done, only two are expected
    path = result.run_dir / "records.jsonl"
    path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:2]))
    seen.clear()
    run(cfg)
    assert (seen[1].conversations_planned, seen[1].conversations_done, seen[1].expected_calls) == (4, 2, 12)
    again = seen[0].snapshot()
    assert (again.conversations_done, again.calls, again.expected_calls) == (4, 12, 12)


def test_estimate_matches_what_a_full_length_run_made(fake, make_cfg):
    seen: list = []
    setup(fake, seen)
    cfg = make_cfg()
    result = run(cfg)
    record = next(iter(iter_records(result.run_dir)))
    est = estimate_key(cfg, plan(cfg)[0])
    assert {r: c.calls for r, c in est.roles.items()} == {r: u.calls for r, u in record.usage.items()} \
        == {"persona": 2, "subject": 3, "judge": 1}


def test_bar_shows_the_counts(fake, make_cfg, capsys):
    seen: list = []
    setup(fake, seen)
    run(make_cfg(seeds=[0, 1], run={"progress": True}))
    drawn = [line for line in capsys.readouterr().err.replace("\r", "\n").splitlines() if "conv " in line]
    assert "conv 0/2 · calls 0/12 · replies 0" in drawn[0]  # shown before the first call ends
    assert "100%" in drawn[-1] and "conv 2/2 · calls 12/12 · replies 6" in drawn[-1]


def test_describe_and_eta_arithmetic():
    s = ProgressSnapshot(conversations_planned=10, conversations_done=3, calls=40, expected_calls=100,
                         replies=12, tokens=5000, cost_usd=0.0125, errors=1, elapsed_s=50.0)
    assert s.tokens_per_s == 100.0
    assert s.eta_s == 75.0  # 50 s for 40 calls, 60 calls to go
    assert describe(s) == "conv 3/10 · calls 40/100 · replies 12 · 100 tok/s · ETA 1:15 · errors 1 · $0.0125"
    assert ProgressSnapshot(**{**s.model_dump(), "calls": 0}).eta_s is None


def test_written_conversation_replaces_its_estimate():
    t = [0.0]
    p = Progress(planned=2, done=0, expected={"a": 10, "b": 10}, enabled=False, clock=lambda: t[0])
    from simulator.core.records import Usage

    for _ in range(7):
        p.on_call("persona", Usage(calls=1, prompt_tokens=3, completion_tokens=1))
    p._written("a", "ok", actual_calls=7)  # a ended early: 7 calls, not 10
    t[0] = 7.0
    s = p.snapshot()
    assert (s.expected_calls, s.calls, s.tokens, s.conversations_done) == (17, 7, 28, 1)
    assert s.eta_s == 10.0  # 1 s a call, 10 calls left
    p.add("ok", tokens=40, cost=0.5, record_id="b")  # from a worker process: counted by its estimate
    s = p.snapshot()
    assert (s.calls, s.expected_calls, s.tokens, s.conversations_done) == (17, 17, 68, 2)
