"""Library and learned instruments: MiniLM embeddings (int8 ONNX, offline), VADER, the NRC
lexicon reader, the learned heads' shipped weights, their registry entries, and the report's rule
that a head's rows on the set it was fitted on never count for a target. All texts are invented."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from judges.instruments import affect_libs, embeddings

PROMPT = ("My mother died last month and I keep feeling guilty that I wasn't there with her at the "
          "end, I was at work.")
REFLECTION = "You feel guilty that you were at work and not with your mother when she died."
GENERIC = "That sounds hard. Things will get better, stay strong."
ADVICE = "Have you tried going to the gym more often? Exercise helps with stress."


def test_embeddings_are_unit_vectors_cached_and_deterministic():
    a = embeddings.embed([REFLECTION, GENERIC])
    b = embeddings.embed([REFLECTION, GENERIC])
    assert a.shape == (2, embeddings.DIM)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(a, b)
    # batching does not change a vector: the same text alone and in a padded batch
    alone = embeddings._encode([GENERIC])[0]
    assert np.allclose(alone, embeddings._encode([GENERIC, PROMPT])[0], atol=1e-5)


def test_semantic_overlap_prefers_a_reflection_of_the_prompt():
    refl = embeddings.semantic_overlap(REFLECTION, PROMPT)
    assert refl > 0.5
    assert refl > embeddings.semantic_overlap(GENERIC, PROMPT) + 0.2
    assert refl > embeddings.semantic_overlap(ADVICE, PROMPT) + 0.2
    assert embeddings.semantic_overlap("", PROMPT) == 0.0


def test_embed_specificity_is_low_for_a_stock_line():
    stock, specific = embeddings.embed_specificity_many(["I'm so sorry you are going through this.", REFLECTION])
    assert specific > stock


def test_vader_orders_warm_above_cold_and_nrc_reader(monkeypatch):
    assert affect_libs.vader_compound("I'm so happy for you, that is wonderful!") > 0.5
    assert affect_libs.vader_compound("That is awful and I hate it.") < 0
    assert affect_libs.vader_pos("The meeting is on Tuesday.") == 0.0
    monkeypatch.setattr(affect_libs, "nrc_lexicon", lambda: {"furious": {"anger": 0.9}, "sad": {"sadness": 0.5}})
    assert affect_libs.nrc_intensity("the table") == 0.0
    one = affect_libs.nrc_intensity("I am furious")
    assert one == pytest.approx(0.9)
    # strongest first, the next term with half weight: 1 - 0.1 * 0.5 ** 0.5
    assert affect_libs.nrc_intensity("furious and sad") == pytest.approx(1 - 0.1 * 0.5**0.5, abs=1e-6)
    monkeypatch.setattr(affect_libs, "nrc_lexicon", lambda: None)
    with pytest.raises(RuntimeError, match="research use only"):
        affect_libs.nrc_intensity("furious")


def test_shipped_heads_load_with_terms_and_rank_reflection_first():
    from judges.instruments.learned import HEADS, load_head, reply_quality
    from judges.instruments.learned.features import DIM, FEATURES_VERSION

    for name in HEADS:
        raw = json.loads((resources.files("judges.instruments.learned") / "weights" / f"{name}.json").read_text("utf-8"))
        assert raw["features"] == FEATURES_VERSION and len(raw["coef"]) == DIM
        assert "research" in raw["terms"] and raw["fitted_on"] in ("pair", "epitome")
        assert "judges.calibration.fit_heads" in raw["refit"]
        assert load_head(name).coef.shape == (DIM,)
    # The direction the committed PAIR figures rest on: a reflection above reassurance and advice.
    refl = reply_quality(REFLECTION, PROMPT)
    assert refl > reply_quality(GENERIC, PROMPT) + 0.2
    assert refl > reply_quality(ADVICE, PROMPT) + 0.2
    assert reply_quality("", PROMPT) == 0.0
    # The EPITOME head (emotional reaction or interpretation) prefers warmth plus understanding.
    warm = "I'm so sorry about your mother. It makes sense you feel guilty, but you couldn't have known."
    assert reply_quality(warm, PROMPT, head="epitome-fit") > reply_quality(ADVICE, PROMPT, head="epitome-fit")


def test_registry_has_library_and_learned_contenders_and_marks_fitted_sets():
    from judges.calibration.scorers import INSTRUMENTS, in_sample

    assert {"vader_compound", "vader_pos", "learned:epitome-fit"} <= set(INSTRUMENTS["emotional_reactions"])
    for ds in ("interpretations", "pair", "welivita_pu"):
        assert {"semantic_overlap", "embed_specificity", "learned:pair-fit", "learned:epitome-fit"} <= set(INSTRUMENTS[ds])
    assert in_sample("pair", "learned:pair-fit") and not in_sample("welivita_pu", "learned:pair-fit")
    assert in_sample("interpretations", "learned:epitome-fit") and not in_sample("pair", "learned:epitome-fit")
    fn = INSTRUMENTS["pair"]["semantic_overlap"]
    assert fn.batch([(REFLECTION, PROMPT)])[0] == pytest.approx(fn(REFLECTION, PROMPT))


def _fig(v):
    return {"value": v, "ci": [v - 0.01, v + 0.01], "n": 10}


def test_report_targets_skip_in_sample_heads():
    from judges.calibration.report import markdown, targets

    pair = {"n_units": 10, "scorers": {
        "length_words": {"n": 10, "pairwise_hq_vs_lq": _fig(0.6)},
        "combined": {"n": 10, "pairwise_hq_vs_lq": _fig(0.7)},
        "learned:pair-fit": {"n": 10, "pairwise_hq_vs_lq": _fig(0.99)},
        "learned:pair-fit (5-fold CV on this set)": {"n": 10, "pairwise_hq_vs_lq": _fig(0.9)},
    }}
    order = lambda ok: {"score_means": {}, "human_means": {}, "order_matches": ok, "match_rate": 0.8}  # noqa: E731
    wp = {"n_units": 10, "scorers": {"length_words": {"n": 10, "kind_order": order(False)},
                                     "learned:epitome-fit": {"n": 10, "kind_order": order(True)}}}
    result = {"datasets": {"pair": {"all": pair}, "welivita_pu": {"all": wp}}, "created": "t", "command": "",
              "data_dir": "d", "seed": 0, "bootstrap_resamples": 10}
    rows = {t["target"]: t for t in targets(result)}
    held = next(t for k, t in rows.items() if "not fitted on PAIR" in k)
    cv = next(t for k, t in rows.items() if "5-fold CV" in k)
    assert held["value"].startswith("0.700: combined") and not held["met"]
    assert cv["value"].startswith("0.900") and cv["met"]
    assert rows["Welivita & Pu: the crowd's order of the three reply kinds reproduced (all items)"]["met"]
    assert "learned:pair-fit (fitted on this set: in-sample)" in markdown(result)


def test_crossval_on_invented_prompts_is_out_of_fold():
    from judges.calibration.datasets import PAIR_REPLIES, PairItem
    from judges.calibration.crossval import pair_oof

    topics = ["my sister stopped talking to me", "I lost my job on Friday", "my knee surgery failed",
              "my best friend moved abroad", "I failed my driving test twice", "my cat is very ill"]
    items = []
    for t in topics:
        replies = {"hq1": f"You are hurt because {t}.", "hq2": f"It sounds painful that {t}.",
                   "mq1": "You have feelings about this.", "lq1": "Just relax.", "lq2": "Try yoga.",
                   "lq3": "Everything happens for a reason.", "lq4": "Stop worrying.", "lq5": "Talk to someone."}
        items.append(PairItem(f"Honestly, {t} and I don't know what to do.", {k: replies[k] for k in PAIR_REPLIES}))
    S = pair_oof(items)
    assert S.shape == (len(items), len(PAIR_REPLIES)) and np.isfinite(S).all()
    assert (S[:, :2].min(axis=1) > S[:, 3:].max(axis=1)).mean() >= 0.5


def test_hand_written_metrics_equal_scikit_learn():
    """QWK and AUC as computed in judges/calibration/metrics.py equal scikit-learn's on random
    data with ties (so either could replace the other at equal results)."""
    from sklearn.metrics import cohen_kappa_score, roc_auc_score

    from judges.calibration.metrics import auc, quadratic_weighted_kappa

    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.integers(0, 3, 40), rng.integers(0, 3, 40)
        if len(set(a)) > 1 and len(set(b)) > 1:
            assert quadratic_weighted_kappa(a, b, (0, 1, 2)) == pytest.approx(
                cohen_kappa_score(a, b, weights="quadratic", labels=[0, 1, 2]), abs=1e-12)
        pos, neg = rng.integers(0, 5, 15).astype(float), rng.integers(0, 5, 25).astype(float)
        y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
        assert auc(pos, neg) == pytest.approx(roc_auc_score(y, np.r_[pos, neg]), abs=1e-12)


def test_embedding_disk_cache_round_trip(tmp_path, monkeypatch):
    path = tmp_path / "embeddings.npz"
    v = embeddings.embed([PROMPT])[0]
    assert embeddings.save_disk_cache(path) >= 1
    monkeypatch.setattr(embeddings, "_cache", type(embeddings._cache)())
    monkeypatch.setattr(embeddings, "_disk", {})
    assert embeddings.load_disk_cache(path) >= 1
    monkeypatch.setattr(embeddings, "_encode", lambda texts: pytest.fail("re-embedded a cached text"))
    assert np.array_equal(embeddings.embed([PROMPT])[0], v)
    assert embeddings.load_disk_cache(tmp_path / "missing.npz") == 0


@pytest.mark.parametrize("first", ["judges.instruments.learned", "judges.instruments", "judges.calibration.scorers"])
def test_modules_import_in_any_order(first):
    import subprocess
    import sys

    code = f"import {first}; from judges.instruments.learned import reply_quality; import judges.instruments.conversation"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)


def _epitome_file(path, rows):
    import csv

    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sp_id", "rp_id", "seeker_post", "response_post", "level", "rationales"])
        w.writerows(rows)


def test_epitome_training_pairs_rows_by_position_not_by_repeated_id(tmp_path):
    # EPITOME repeats some rp_ids with different labels: a lookup by id gave one row another's level.
    from judges.calibration import datasets as ds
    from judges.calibration.fit_heads import epitome_training

    d = tmp_path / "epitome"
    d.mkdir()
    seeker = "I failed again."
    _epitome_file(d / ds.EPITOME_FILES["emotional_reactions"],
                  [["s1", "r1", seeker, "That is rough.", "0", ""], ["s1", "r1", seeker, "That is rough.", "0", ""],
                   ["s2", "r2", seeker, "Sorry.", "1", ""]])
    _epitome_file(d / ds.EPITOME_FILES["interpretations"],
                  [["s1", "r1", seeker, "That is rough.", "2", ""], ["s1", "r1", seeker, "That is rough.", "0", ""],
                   ["s2", "r2", seeker, "Sorry.", "0", ""]])
    pairs, y = epitome_training(tmp_path)
    assert pairs[0] == ("That is rough.", seeker) and y.tolist() == [1, 0, 1]
    _epitome_file(d / ds.EPITOME_FILES["interpretations"], [["s2", "r2", seeker, "Sorry.", "0", ""]])
    with pytest.raises(ds.DatasetError, match="same order"):
        epitome_training(tmp_path)
