"""`empathy-sim calibrate`: metrics with known answers, readers on synthetic CSVs (same headers
as the real files, no real rows), a slice of the real data when ../shared/data exists, and the
CLI end to end with a fake judge."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from judges.calibration import datasets as ds
from judges.calibration.metrics import (
    auc, bootstrap_ci, figure, pairwise_accuracy, quadratic_weighted_kappa, quantile_levels, spearman,
)

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# ---------------------------------------------------------------- metrics


def test_spearman_known_answers():
    assert spearman([1, 2, 3, 4, 5], [10, 20, 30, 40, 50]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3], [7, 7, 7]) is None  # constant side: undefined


def test_quadratic_weighted_kappa_known_answers():
    assert quadratic_weighted_kappa([0, 1, 2, 2, 1], [0, 1, 2, 2, 1]) == pytest.approx(1.0)
    assert quadratic_weighted_kappa([0, 2], [2, 0], (0, 1, 2)) == pytest.approx(-1.0)
    # By hand, weights (i-j)^2/4 over 3 categories: observed sum w*O = 0.25 (one off-by-one item);
    # expected from marginals a=(2,2,0), b=(1,3,0): E01 = 2*3/4, E10 = 2*1/4, sum w*E = 2*0.25 = 0.5.
    assert quadratic_weighted_kappa([0, 0, 1, 1], [0, 1, 1, 1], (0, 1, 2)) == pytest.approx(1 - 0.25 / 0.5)
    assert quadratic_weighted_kappa([], []) is None


def test_auc_and_pairwise_accuracy_known_answers():
    assert auc([3, 4, 5], [0, 1, 2]) == 1.0
    assert auc([0, 1], [2, 3]) == 0.0
    assert auc([1, 1], [1, 1]) == 0.5
    assert auc([2, 1], [1, 0]) == pytest.approx((1 + 1 + 0.5 + 1) / 4)
    assert auc([], [1]) is None
    assert pairwise_accuracy([3, 2, 1], [1, 2, 0]) == pytest.approx((1 + 0.5 + 1) / 3)
    assert pairwise_accuracy([], []) is None


def test_quantile_levels_match_reference_marginals():
    ref = [0, 0, 0, 1, 1, 2]
    out = quantile_levels([0.9, 0.1, 0.5, 0.3, 0.7, 0.2], ref)
    assert out.tolist() == [2, 0, 1, 0, 1, 0]
    assert sorted(out.tolist()) == sorted(ref)


def test_bootstrap_is_seeded_and_brackets_the_value():
    x = np.arange(50, dtype=float)
    y = x + np.sin(x) * 10
    stat = lambda i: spearman(x[i], y[i])  # noqa: E731
    a, b = bootstrap_ci(stat, 50, seed=3, resamples=200), bootstrap_ci(stat, 50, seed=3, resamples=200)
    assert a == b and a[0] <= stat(np.arange(50)) <= a[1] <= 1.0
    fig = figure(stat, 50, seed=3, resamples=200)
    assert set(fig) == {"value", "ci", "n"} and fig["n"] == 50


# ---------------------------------------------------------------- synthetic data (invented rows)

SEEKERS = [
    "I moved to a new city and I feel so lonely, nobody calls me.",
    "My exam results came out today and I failed chemistry again.",
    "I can't sleep since the breakup, it's been three weeks.",
    "My dog died on Sunday and the house is so quiet.",
]
REPLIES = {  # level -> reply; invented for these tests
    0: "Just go out more, it gets better.",
    1: "That sounds hard, sorry.",
    2: "I'm so sorry, moving somewhere new and feeling lonely is awful. What do you miss most, \"home\" or people?",
}


def _write(path: Path, header: list[str], rows: list[list[object]], bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def make_data(root: Path, n: int = 12) -> Path:
    for k, (mech, fname) in enumerate(ds.EPITOME_FILES.items()):
        rows = []
        for i in range(n):
            level = (i + k) % 3  # the three files share replies, as the real ones do
            reply = REPLIES[i % 3] + ("\nSecond line, with, commas." if i % 4 == 0 else "")
            rows.append([f"s{i}", f"r{i}", SEEKERS[i % 4], reply, level, "so sorry|What do you miss" if level else ""])
        rows.append(["sX", "rX", "post", "reply", "n/a", ""])  # unusable level: skipped
        _write(root / "epitome" / fname, list(ds.EPITOME_COLUMNS), rows, bom=(k == 0))
    pair_rows = []
    for i in range(4):
        s = SEEKERS[i]
        pair_rows.append([s, f"You feel lonely and hurt because {s.lower()}", f"You are carrying a lot of sadness about this, {i}.",
                          "You have some feelings.", "You should just get over it.", "Have you tried yoga?",
                          "Stop worrying.", "Everything happens for a reason.", "Maybe talk to someone."])
    _write(root / ds.PAIR_FILE, ["prompt", *ds.PAIR_REPLIES], pair_rows)
    wp_header = ["part_no", "annotator_human", "dialog_id", "emotion", "sentiment", "situation", "speaker_uttr",
                 *[f"response_{k}" for k in ds.WP_KINDS], *[f"rating_{k}" for k in ds.WP_KINDS], "miti_human"]
    wp_rows = []
    for i in range(6):
        s = SEEKERS[i % 4]
        wp_rows.append([0, "a", f"hit:{i}", "lonely", "negative", s, s, f"ok {i}", f"That sounds hard. I'm sorry you feel this way ({i}).",
                        f"I'm so sorry, that sounds really lonely and painful ({i}).", 1 + i % 2, 2, 3, "['Affirm']"])
    _write(root / ds.WP_FILE, wp_header, wp_rows)
    return root


def test_readers_parse_quoting_bom_and_skip_bad_rows(tmp_path):
    root = make_data(tmp_path / "data")
    st = ds.ReadStats()
    items = ds.read_epitome(root, "emotional_reactions", st)
    assert (st.rows, st.skipped, len(items)) == (13, 1, 12)
    assert items[0].response.endswith("Second line, with, commas.") and '"home"' in items[2].response
    assert {it.level for it in items} == {0, 1, 2}
    assert items[1].rationales == ("so sorry", "What do you miss")
    pair = ds.read_pair(root)
    assert len(pair) == 4 and list(pair[0].replies) == list(ds.PAIR_REPLIES)
    wp = ds.read_welivita_pu(root)
    assert len(wp) == 6 and wp[1].ratings == {"human": 2, "chatgpt": 2, "chatgpt_empathy": 3}
    with pytest.raises(ds.DatasetError, match="no such file"):
        ds.read_pair(tmp_path / "nowhere")
    _write(tmp_path / "bad" / ds.PAIR_FILE, ["prompt", "hq1"], [["p", "r"]])
    with pytest.raises(ds.DatasetError, match="missing columns"):
        ds.read_pair(tmp_path / "bad")


def test_sample_is_deterministic_nested_and_in_order():
    items = list(range(100))
    a = ds.sample(items, 10, 0, "pair")
    assert a == ds.sample(items, 10, 0, "pair") and a == sorted(a) and len(a) == 10
    assert set(a) <= set(ds.sample(items, 30, 0, "pair"))  # nested
    assert a != ds.sample(items, 10, 1, "pair")
    assert ds.sample(items, None, 0, "pair") == items and ds.sample(items, 500, 0, "x") == items


# ---------------------------------------------------------------- the real data, when present

needs_real = pytest.mark.skipif(not (REAL / "pair" / "pair_data.csv").is_file(), reason="no ../shared/data")


@needs_real
def test_real_pair_slice_metamorphic():
    from judges.calibration.metamorphic import run_metamorphic

    st = ds.ReadStats()
    everything = ds.read_pair(REAL, st)
    assert (st.rows, st.skipped, len(ds.sample(everything, 20, 0, "pair"))) == (318, 0, 20)
    first = everything[:20]
    mm = run_metamorphic(first, None, seed=0, resamples=50)
    assert mm["good_replies"] == 40
    det = mm["detectors"]
    # Observed on these 20 prompts: distancing 1.0, granularity 1.0, attenuation 0.94 (paired).
    assert det["distancing"]["paired_auc"]["value"] >= 0.99
    assert det["granularity"]["paired_auc"]["value"] >= 0.95
    assert det["attenuation"]["paired_auc"]["value"] >= 0.85
    assert det["capitulation_heldout"]["paired_auc"]["value"] == 0.5  # the cue misses held-out phrases


@needs_real
def test_real_epitome_explorations_question_rate_beats_length():
    from judges.calibration.scorers import length, questions

    items = ds.read_epitome(REAL, "explorations")[:300]
    levels = [it.level for it in items]
    q = spearman([questions(it.response, it.seeker) for it in items], levels)
    n = spearman([length(it.response, it.seeker) for it in items], levels)
    assert q > 0.6 and q > n


# ---------------------------------------------------------------- the CLI end to end


def _parse(argv: list[str]):
    from simulator.cli.subcommands import build_parser

    return build_parser().parse_args(["calibrate", *argv])


def test_calibrate_cli_with_fake_judge(tmp_path, fake, capsys):
    import fakes
    from simulator.core.records import CRITERIA

    def scores(prompt: str) -> dict[str, int]:
        warm = "so sorry" in prompt.lower() or "you feel" in prompt.lower()
        return {c: 5 if warm else 2 for c in CRITERIA}

    fake.set("judge", fakes.judge_json(scores))
    root = make_data(tmp_path / "data")
    out = tmp_path / "out"
    argv = ["--data", str(root), "--judge-model", "fake/judge", "--judge-limit", "4", "--out", str(out),
            "--bootstrap", "20", "--quiet"]
    args = _parse(argv)
    args.fn(args)
    result = json.loads((out / "calibration.json").read_text())
    assert {"datasets", "metamorphic", "targets", "judge_calls", "read", "command", "created"} <= set(result)
    assert set(result["datasets"]) == {"epitome/emotional_reactions", "epitome/interpretations",
                                       "epitome/explorations", "pair", "welivita_pu"}
    pair = result["datasets"]["pair"]
    assert set(pair) == {"all", "judge_sample"}
    judge_scorer = "judge:fake/judge:mean"
    assert pair["judge_sample"]["scorers"][judge_scorer]["pairwise_hq_vs_lq"]["value"] > 0.5
    assert "baseline" in pair["judge_sample"]["scorers"][judge_scorer]
    er = result["datasets"]["epitome/emotional_reactions"]["judge_sample"]["scorers"]
    assert "judge:fake/judge:sentiment_attenuation" in er and "judge:fake/judge:mean" in er
    stats = result["judge_calls"]["fake/judge"]
    # 4 EPITOME replies (shared by the three files) + 4 prompts x 7 PAIR replies + 4 x 3 W&P replies
    assert stats["replies"] == 4 + 28 + 12 and stats["errors"] == 0
    calls = [c for c in fake.calls if c[0] == "judge"]
    assert len(calls) == stats["calls"] - stats["cached_calls"] == stats["replies"]
    md = (out / "calibration.md").read_text()
    assert md.startswith("# Calibration") and "## Targets" in md and "judge:fake/judge:mean" in md
    # A rerun is served from the on-disk call cache: no new model calls.
    args = _parse(argv)
    args.fn(args)
    assert len([c for c in fake.calls if c[0] == "judge"]) == len(calls)
    assert json.loads((out / "calibration.json").read_text())["judge_calls"]["fake/judge"]["cached_calls"] == stats["replies"]
    capsys.readouterr()


def test_judge_set_limit_judges_only_the_named_set(tmp_path, fake, capsys):
    """--judge-limit 0 --judge-set-limit pair=2: the judge sees 2 PAIR prompts and nothing else."""
    import fakes
    from simulator.core.records import CRITERIA

    fake.set("judge", fakes.judge_json(lambda prompt: {c: 3 for c in CRITERIA}))
    out = tmp_path / "out"
    args = _parse(["--data", str(make_data(tmp_path / "data")), "--judge-model", "fake/judge", "--judge-limit", "0",
                   "--judge-set-limit", "pair=2", "--out", str(out), "--bootstrap", "20", "--quiet",
                   "--no-metamorphic"])
    args.fn(args)
    result = json.loads((out / "calibration.json").read_text())
    assert result["judge_calls"]["fake/judge"]["replies"] == 2 * 7
    assert [n for n, e in result["datasets"].items() if "judge_sample" in e] == ["pair"]
    assert result["datasets"]["pair"]["judge_sample"]["n_units"] == 2
    assert "--judge-limit 0 --judge-set-limit pair=2" in result["command"]
    with pytest.raises(SystemExit):
        _parse(["--judge-set-limit", "nope=3"])
    capsys.readouterr()


def test_calibrate_missing_data_dir_is_one_line_error(tmp_path, capsys):
    args = _parse(["--data", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--quiet"])
    with pytest.raises(SystemExit) as e:
        args.fn(args)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(tmp_path / "missing") in err


def test_subcommand_help_is_the_module_docstring():
    import simulator.cli.calibrate as cli
    from simulator.cli.subcommands import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    helps = {a.dest: a.help for a in sub._choices_actions}
    assert helps["calibrate"] == cli.__doc__.strip().splitlines()[0]
    args = _parse([])
    assert args.judge_limit == 30 and args.limit is None and args.out == "outputs/calibration"


# ---------------------------------------------------------------- the emphasis rule in affect_intensity


def test_emphasis_on_a_non_affect_word_counts_weakly():
    from judges.instruments import affect_intensity
    from judges.instruments.intensity import emphasis_intensities
    from judges.instruments.transforms import attenuate

    assert affect_intensity("You want to quit.") == 0.0
    assert 0.1 < affect_intensity("You really want to quit.") < 0.2
    assert affect_intensity(attenuate("You really want to quit.")) == 0.0
    assert emphasis_intensities("I'm so angry") == []  # modifiers of affect terms are handled as before
    assert emphasis_intensities("I am not really sure") == []  # negated
    assert emphasis_intensities("so far it is fine, it was too long") == []  # idiom; quantifier-like "too"
    strong = affect_intensity("I'm devastated.")
    assert strong <= affect_intensity("I'm devastated, I really need help.") < strong + 0.03
