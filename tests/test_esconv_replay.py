"""ESConv replay (issue 14, item 4): the reader on both formats, the seeded persona, the replay
through the appraisal only, the figures with their baselines, and the CLI on a small slice of
the shared data (skipped where ../shared/data is absent)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator.conversation import esconv_replay as rp
from judges.calibration.esconv import Exchange, RealConversation, read_esconv, seeded_persona

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not (REAL / "esconv" / "train.jsonl").is_file(), reason="no ../shared/data/esconv")


def conv(cid: str, replies: list[str], failed: bool = False, empathy: int | None = None,
         start: int = 4, end: int | None = None, emotion: str = "sadness") -> RealConversation:
    exchanges = tuple(Exchange(seeker=f"my dog died last week and the house is so quiet ({i})", supporter=r)
                      for i, r in enumerate(replies))
    return RealConversation(id=cid, source="failed" if failed else "esconv", emotion_type=emotion,
                            problem_type="loss of a pet", situation="My dog died last week and I feel so alone.",
                            initial_intensity=start, final_intensity=end, empathy=empathy, relevance=None,
                            exchanges=exchanges)


GOOD = ["I'm so sorry your dog died. The quiet house after losing him must feel so lonely and sad.",
        "Losing a dog last week is real grief. What was he like?",
        "It makes sense the house feels empty. You loved him, and missing him that much hurts."]
BAD = ["hello", "ok", "you can end the chat"]


def write_slice(tmp: Path) -> Path:
    """Synthetic files in the two published formats (no real rows)."""
    (tmp / "esconv").mkdir(parents=True)
    row = {"emotion_type": "anxiety", "problem_type": "job crisis", "situation": "I may lose my job.",
           "survey_score": {"seeker": {"initial_emotion_intensity": "4", "final_emotion_intensity": "2",
                                       "empathy": "5", "relevance": "5"}},
           "dialog": [{"speaker": "usr", "text": "hi"}, {"speaker": "usr", "text": "I'm scared about my job."},
                      {"speaker": "sys", "text": "That sounds frightening.", "strategy": "Reflection of feelings"},
                      {"speaker": "sys", "text": "What happened?", "strategy": "Question"},
                      {"speaker": "usr", "text": "thanks"}]}
    (tmp / "esconv" / "train.jsonl").write_text(json.dumps(row) + "\n", "utf-8")
    old = [{"emotion_type": "anger", "problem_type": "conflict", "situation": "My mom took my charger.",
            "survey_score": {"seeker": {"initial_emotion_intensity": "3", "empathy": "1",
                                        "final_emotion_intensity": "3"}, "supporter": {}},
            "dialog": [{"speaker": "listener", "annotation": {}, "content": "hi how are you?\n"},
                       {"speaker": "speaker", "annotation": {}, "content": "angry\n"},
                       {"speaker": "listener", "annotation": {}, "content": "ok bye\n"}]}]
    (tmp / "esconv" / "failed_shared.json").write_text(json.dumps(old), "utf-8")
    return tmp


def test_reader_gives_both_formats_one_shape(tmp_path):
    convs = read_esconv(write_slice(tmp_path))
    ok, bad = convs
    assert (ok.source, bad.source) == ("esconv", "failed") and bad.failed and not ok.failed
    # consecutive messages merged; the trailing seeker words (no reply after them) dropped
    assert ok.exchanges == (Exchange("hi I'm scared about my job.", "That sounds frightening. What happened?"),)
    # the old format's trailing newlines are gone, so text shape cannot separate the sets
    assert bad.exchanges == (Exchange("", "hi how are you?"), Exchange("angry", "ok bye"))
    assert (ok.intensity_drop, ok.empathy, bad.intensity_drop, bad.empathy) == (2, 5, 0, 1)
    assert {ok.split(), bad.split()} <= {"tune", "report"}


def test_seeded_persona_uses_only_the_pre_talk_fields():
    a = conv("esconv/1", GOOD, empathy=5, end=1)
    b = conv("failed/1", BAD, failed=True, empathy=1, end=4)
    pa, sa = seeded_persona(a)
    pb, sb = seeded_persona(b)
    assert pa == pb and sa == sb  # outcome (final intensity, empathy, failed) never reaches the card
    assert pa.emotional_arc.starting_emotions["sadness"] == 80
    assert sa.expectations.salient_details == [a.situation]


def test_replay_separates_a_warm_supporter_from_an_absent_one():
    rows = rp.replay_all([conv(f"esconv/{i}", GOOD, empathy=5, end=2) for i in range(4)]
                         + [conv(f"failed/{i}", BAD, failed=True, empathy=1, end=4) for i in range(4)])
    good, bad = rows[0], rows[-1]
    assert len(good.states) == len(GOOD) + 1
    assert good.final("understood") > good.states[0].understood > bad.final("understood")
    assert good.final("drop") > 0 > bad.final("drop")
    for r in rows:  # every step bounded
        for s0, s1 in zip(r.states, r.states[1:]):
            assert abs(s1.understood - s0.understood) <= 10 and abs(s1.trust - s0.trust) <= 10
    m = rp.measure(rows, None, resamples=50)
    assert m["auc"]["understood"]["value"] == 1.0
    assert m["rho_empathy"]["understood"]["value"] == pytest.approx(1.0)
    assert m["auc"]["words"]["value"] == 1.0  # here length separates too: the baseline is reported beside it
    assert m["n_failed"] == 4 and m["n_empathy"] == 8


def test_stratified_sample_is_nested_and_matched_on_emotion():
    convs = ([conv(f"failed/{i}", BAD, failed=True, emotion=e) for i, e in enumerate(["anger", "fear", "anger"])]
             + [conv(f"esconv/{i}", GOOD, emotion=e) for i, e in enumerate(["anger", "fear", "anger", "sadness"])])
    big = rp.stratified_sample(convs, 3, n_failed=3)
    small = rp.stratified_sample(convs, 2, n_failed=2)
    assert big[: len(small)] == small
    pairs = list(zip(big[::2], big[1::2]))
    assert all(f.failed and not s.failed and f.emotion_type == s.emotion_type for f, s in pairs)


@needs_data
def test_replay_on_a_slice_of_the_shared_data():
    convs = read_esconv(REAL)
    assert sum(not c.failed for c in convs) == 910 and sum(c.failed for c in convs) == 98
    assert not any(e.supporter.endswith("\n") for c in convs for e in c.exchanges)
    part = [c for c in convs if not c.failed][:6] + [c for c in convs if c.failed][:6]
    rows = rp.replay_all(part, "deterministic", rp.PREFIX_K)
    assert all(len(r.states) == min(rp.PREFIX_K, len(r.conv.exchanges)) + 1 for r in rows)
    m = rp.measure(rows, rp.PREFIX_K, resamples=30)
    for key in ("understood", "words", "turns"):
        assert 0.0 <= m["auc"][key]["value"] <= 1.0
    assert np.isfinite(m["auc_minus_words"]["value"])


@needs_data
def test_calibrate_persona_command_on_a_slice(tmp_path):
    out = tmp_path / "cal"
    cmd = [sys.executable, "-m", "simulator.cli.main", "calibrate", "--persona", "--data", str(REAL),
           "--limit", "6", "--bootstrap", "20", "--out", str(out), "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads((out / "persona_calibration.json").read_text())
    assert res["read"] == {"esconv": 6, "failed": 6}
    assert res["deterministic"]["whole"]["all"]["n"] == 12
    md = (out / "persona_calibration.md").read_text()
    assert "baseline: mean reply length (words)" in md and "AUC success vs failed" in md


@needs_data
def test_calibrate_persona_ship_refuses_a_slice(tmp_path):
    # --ship writes the packaged figures: a --limit slice must never replace them.
    cmd = [sys.executable, "-m", "simulator.cli.main", "calibrate", "--persona", "--data", str(REAL),
           "--limit", "2", "--bootstrap", "5", "--out", str(tmp_path / "cal"), "--quiet", "--ship"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "drop --limit" in proc.stderr
