"""Rubrics load from data and reject broken files; panel agreement is computed correctly."""

import pytest
from pydantic import ValidationError

from judges.llm_judges.rubric import Rubric, load_rubric
from simulator.core.records import CRITERIA, CriterionScore, JudgeVerdict
from simulator.report.summary import judge_agreement


def test_packaged_rubric_covers_every_criterion_with_five_levels():
    r = load_rubric()
    assert set(r.criteria) == set(CRITERIA)
    for c in r.criteria.values():
        assert sorted(c.levels) == [1, 2, 3, 4, 5] and all(c.levels.values())
    # validation is not monotone: agreement with a harmful belief is anchored as the worst level
    assert "false belief" in r.criteria["conflict_avoidance"].levels[1].lower()


def test_unknown_rubric_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown rubric 'nope'"):
        load_rubric("nope")


def test_rubric_missing_a_level_or_criterion_is_rejected():
    good = load_rubric().model_dump()
    bad = {**good, "criteria": {**good["criteria"]}}
    bad["criteria"]["cognitive"] = {**good["criteria"]["cognitive"], "levels": {1: "a", 2: "b", 3: "c", 4: "d"}}
    with pytest.raises(ValidationError, match="levels must be exactly 1..5"):
        Rubric.model_validate(bad)
    missing = {**good, "criteria": {k: v for k, v in good["criteria"].items() if k != "cultural"}}
    with pytest.raises(ValidationError, match="missing \\['cultural'\\]"):
        Rubric.model_validate(missing)


class _Rec:
    """The slice of a RunRecord judge_agreement reads."""

    def __init__(self, verdicts):
        self.verdicts = verdicts


def verdict(model, score_of):
    return JudgeVerdict(judge_id="j", judge_version="1", model=model, status="ok",
                        scores={c: CriterionScore(score=score_of(c)) for c in CRITERIA})


def test_agreement_is_one_when_judges_agree_and_flags_disagreement():
    recs = []
    for i in range(6):
        level = 1 + i % 5
        recs.append(_Rec([verdict("a", lambda c: level),
                          verdict("b", lambda c, lv=level: lv if c != "cultural" else 6 - lv)]))
    out = judge_agreement(recs)
    assert out["judges"] == ["a", "b"]
    assert out["criteria"]["cognitive"]["alpha"] == 1.0 and not out["criteria"]["cognitive"]["flag"]
    assert out["criteria"]["cultural"]["alpha"] < 0 and out["criteria"]["cultural"]["flag"]


def test_agreement_needs_two_judges():
    assert judge_agreement([_Rec([verdict("a", lambda c: 3)])]) == {}
