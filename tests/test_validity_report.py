"""Validity travels with the numbers: per-reply scores, tension points and each score's measured
agreement with people reach the summary and both reports; an uncalibrated judge is marked."""

import json

import fakes
from judges.calibration import validity as calibration_validity
from simulator.core import validity
from judges.llm_judges.hybrid import hybrid_version
from judges.llm_judges.prob import prob_version
from judges.llm_judges.rubric import load_rubric
from simulator.report.build import write_report
from simulator.run.runner import run
from simulator.core.store import iter_records
from simulator.report.summary import write_summary


def warm_yes(messages):
    return 0.85 if "sorry" in fakes.judged_reply(messages).lower() else 0.25


def _run(fake, make_cfg, **over):
    fake.set("persona", fakes.persona_script(["it's been a hard week", "i missed her last call", "yeah"]))
    fake.set("subject", fakes.subject_script(fakes.WARM))
    fake.set("pjudge", fakes.judge_probs(warm_yes))
    cfg = make_cfg(models={"judge": {"model": "fake/pjudge", "temperature": 0.0, "max_tokens": 5}},
                   judge={"method": "prob"}, **over)
    result = run(cfg)
    return result.run_dir


def test_prob_judge_records_per_reply_scores_and_an_uncalibrated_judge_is_marked(fake, make_cfg, monkeypatch):
    monkeypatch.delenv("EMPATHY_SIM_VALIDITY", raising=False)
    run_dir = _run(fake, make_cfg)
    (rec,) = list(iter_records(run_dir))
    (v,) = rec.verdicts
    assert rec.status == "ok" and v.method == "prob"
    assert len(v.per_turn) == len(rec.conversation.subject_turns()) == 3
    summary = json.loads(write_summary(run_dir).read_text())
    ms = summary["models"]["fake/subject"]
    assert set(ms["per_reply"]) == {"1", "2", "3"}
    assert ms["validity"]["criteria"]["cognitive"]["status"] == "uncalibrated"
    assert any("never checked against people" in x for x in summary["distrust"])
    md = write_report(run_dir)["md"].read_text()
    assert "## Distrust first" in md and "agreement with people" in md and "uncalibrated" in md
    assert "By subject reply" in md


def test_calibration_figures_reach_the_summary_and_report(fake, make_cfg, tmp_path, monkeypatch):
    key = validity.judge_key("fake/pjudge", "prob", prob_version(load_rubric()))
    fig = {"set": "pair", "source": "PAIR", "metric": "pairwise_hq_vs_lq", "value": 0.81, "ci": [0.77, 0.85],
           "n": 60, "length_value": 0.70, "length_ci": [0.65, 0.75]}
    weak = {**fig, "set": "welivita_pu", "metric": "pairwise_within_situation", "value": 0.5, "length_value": 0.6}
    unsure = {**fig, "set": "aita_sycophancy", "metric": "spearman_with_minus_human_mean", "value": 0.3,
              "ci": [-0.1, 0.6], "length_value": 0.1}
    path = tmp_path / "validity.json"
    path.write_text(json.dumps({"judges": {key: {"cognitive": fig, "linguistic_distancing": weak,
                                                 "conflict_avoidance": unsure}}}))
    monkeypatch.setenv("EMPATHY_SIM_VALIDITY", str(path))
    run_dir = _run(fake, make_cfg)
    summary = json.loads(write_summary(run_dir).read_text())
    crit = summary["models"]["fake/subject"]["validity"]["criteria"]
    assert crit["cognitive"]["status"] == "calibrated" and crit["cognitive"]["clearly_beats_length"] is True
    assert crit["linguistic_distancing"]["beats_length"] is False
    assert any("no better than reply length: linguistic_distancing" in x for x in summary["distrust"])
    write_report(run_dir)
    md = (run_dir / "report.md").read_text()
    assert "pairwise_hq_vs_lq 0.81 [0.77, 0.85] on pair (n=60; reply length 0.70)" in md
    assert "NO BETTER THAN LENGTH" in md
    assert crit["conflict_avoidance"]["beats_length"] and not crit["conflict_avoidance"]["clearly_beats_length"]
    assert any("not clearly" in x and "conflict_avoidance" in x for x in summary["distrust"])
    assert "above length but its CI includes length's figure" in md
    html = (run_dir / "report.html").read_text()
    assert 'id="distrust"' in html and "pairwise_hq_vs_lq 0.81" in html


def test_extract_keeps_the_figure_measured_on_the_most_items():
    res = {"created": "t", "command": "c", "datasets": {"pair": {
        "all": {"scorers": {"judge:m+prob:cognitive": {"pairwise_hq_vs_lq": {"value": 0.7, "ci": None, "n": 300},
                                                        "baseline": {"pairwise_hq_vs_lq": {"value": 0.75}}}}},
        "judge_sample": {"scorers": {"judge:m+prob:cognitive": {"pairwise_hq_vs_lq": {"value": 0.9, "n": 30},
                                                                 "baseline": {"pairwise_hq_vs_lq": {"value": 0.6}}},
                                     "judge:m:cultural": {"pairwise_hq_vs_lq": {"value": 0.9, "n": 30}}}}}}}
    out = calibration_validity.extract(res, {"prob": "v1", "structured": "v2"})
    # cultural has no human set: never extracted; the prob judge's hybrid is composed beside it
    assert list(out["judges"]) == ["m|prob|v1", f"m|hybrid|{hybrid_version('v1')}"]
    assert out["judges"]["m|prob|v1"]["cognitive"]["value"] == 0.7
    assert "cognitive" not in out["judges"][f"m|hybrid|{hybrid_version('v1')}"]  # routed to an instrument


def test_the_shipped_figures_belong_to_the_current_default_judge(monkeypatch):
    """Change a probe or the context format without recalibrating and this fails: the report
    would otherwise mark the default judge uncalibrated (figures never outlive their prompt)."""
    monkeypatch.delenv("EMPATHY_SIM_VALIDITY", raising=False)
    shipped = validity.load()
    key = validity.judge_key("local/qwen2.5-1.5b", "prob", calibration_validity.current_versions()["prob"])
    assert key in shipped["judges"], f"simulator/core/validity.json has no figures for {key}: rerun calibrate --ship"
    fig = validity.criterion_validity("local/qwen2.5-1.5b", "prob", calibration_validity.current_versions()["prob"],
                                      "conflict_avoidance")
    assert fig["status"] == "calibrated" and fig["set"] == "aita_sycophancy" and fig["n"] > 0
    assert validity.criterion_validity("local/qwen2.5-1.5b", "prob", "other-version", "cognitive")["status"] == "uncalibrated"
    assert validity.instrument_validity("length_words")["status"] == "baseline"


def test_the_persona_final_state_shows_its_agreement_with_real_seekers(fake, make_cfg, monkeypatch):
    # The shipped block: the deterministic appraisal's held-out ESConv AUC, length beside it.
    monkeypatch.delenv("EMPATHY_SIM_VALIDITY", raising=False)
    shipped = validity.persona_validity("understood")
    assert shipped["status"] == "calibrated" and shipped["set"] == "esconv"
    assert shipped["beats_length"] == (shipped["value"] > shipped["length_value"])
    assert validity.persona_validity("understood", mode="llm")["status"] == "uncalibrated"
    run_dir = _run(fake, make_cfg)
    ms = json.loads(write_summary(run_dir).read_text())["models"]["fake/subject"]
    assert ms["final_state_validity"]["understood"]["value"] == shipped["value"]
    distrust = json.loads(write_summary(run_dir).read_text())["distrust"]
    assert any("final felt-understood" in x for x in distrust) == (not shipped["clearly_beats_length"])
    paths = write_report(run_dir)
    md, html = paths["md"].read_text(), paths["html"].read_text()
    line = next(x for x in md.splitlines() if x.startswith("| understood |"))
    assert "auc_success_vs_failed" in line and "esconv" in line and "reply length" in line
    assert "Agreement with people (final understood): auc_success_vs_failed" in html


def test_persona_validity_block_comes_from_the_report_half_of_the_prefix_view():
    from simulator.conversation.persona_calibration import validity_block

    def fig(v):
        return {"value": v, "ci": [v - 0.1, v + 0.1], "n": 40}
    views = {view: {split: {"auc": {"understood": fig(0.7 if (view, split) == ("prefix", "report") else 0.1),
                                    "trust": fig(0.6), "words": fig(0.65)}}
                    for split in ("all", "tune", "report")} for view in ("prefix", "whole")}
    res = {"created": "t", "command": "c", "prefix_k": 5, "deterministic": views}
    b = validity_block(res)
    assert b["mode"] == "deterministic" and b["figures"]["understood"]["value"] == 0.7
    assert b["figures"]["understood"]["length_value"] == 0.65 and b["figures"]["trust"]["n"] == 40


def test_a_failed_behaviour_check_reaches_the_criterion_and_the_distrust_list(fake, make_cfg, tmp_path,
                                                                               monkeypatch):
    from bench.anchors import behaviour, ship

    key = validity.judge_key("fake/pjudge", "prob", prob_version(load_rubric()))
    judge = {c: 3.0 for c in ("sentiment_attenuation", "granularity_mismatch", "conflict_avoidance",
                              "linguistic_distancing", "cognitive", "cultural", "relational")}
    rows = [{"case": case, "judge": {**judge, **over}, "judge_key": key} for case, over in (
        ("grief/warm", {"sentiment_attenuation": 4.6, "linguistic_distancing": 4.0}),
        ("grief/cold", {"sentiment_attenuation": 4.5, "linguistic_distancing": 2.0}),
        ("grief/sycophantic", {"sentiment_attenuation": 4.8, "linguistic_distancing": 1.0}),
        ("correction/agree", {"conflict_avoidance": 2.0}), ("correction/disagree_kindly", {"conflict_avoidance": 4.0}))]
    checks = behaviour(rows)
    assert [c["passed"] for c in checks["sentiment_attenuation"]] == [False]
    assert [c["passed"] for c in checks["linguistic_distancing"]] == [True]
    assert [c["passed"] for c in checks["conflict_avoidance"]] == [False, True]  # 3 = 3 = 3 is no order
    path = tmp_path / "validity.json"
    path.write_text(json.dumps({"judges": {}, "instruments": {"x": 1}}))
    assert ship(rows, "python -m bench.anchors --ship", path) == (key, path)
    shipped = json.loads(path.read_text())
    assert shipped["instruments"] == {"x": 1} and set(shipped["behaviour"]) == {key}
    monkeypatch.setenv("EMPATHY_SIM_VALIDITY", str(path))
    run_dir = _run(fake, make_cfg)
    summary = json.loads(write_summary(run_dir).read_text())
    crit = summary["models"]["fake/subject"]["validity"]["criteria"]
    assert crit["sentiment_attenuation"]["behaviour"][0]["figures"] == "4.60 / 4.50 / 4.80"
    assert "behaviour" not in crit["cognitive"]
    (line,) = [x for x in summary["distrust"] if "behaviour check" in x]
    assert "sentiment_attenuation (grief anchors warm > cold > sycophantic: 4.60 / 4.50 / 4.80)" in line
    assert "conflict_avoidance" in line and "linguistic_distancing" not in line
