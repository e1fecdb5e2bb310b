"""Hydra multirun: one job per override value, each writing its records, merged at the end."""

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

TESTS = Path(__file__).parent


def cli(tmp_path, *args, env=None):
    env = {**os.environ, "EMPATHY_SIM_IMPORT": "fake_plugin", **(env or {}),
           "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    base = ["scenario=grief_missed_last_call", "max_turns=2", "models.persona.model=fake/persona",
            "models.subject.model=fake/subject", "models.judge.model=fake/judge",
            f"run.out_dir={tmp_path}", "run.progress=false", "run.cache=false"]
    flags = [a for a in args if a.startswith("-")]  # Hydra wants -m before the overrides
    rest = [a for a in args if not a.startswith("-")]
    return subprocess.run([sys.executable, "-m", "simulator.cli.main", *flags, *base, *rest], capture_output=True,
                          text=True, timeout=300, env=env, cwd=tmp_path)


def sweep_summary(tmp_path):
    (sweep,) = list((tmp_path / "sweeps").iterdir())
    runs = (sweep / "runs.txt").read_text().split()
    return sweep, runs, orjson.loads((sweep / "summary.json").read_bytes())


@pytest.mark.parametrize("launcher", [[], ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]],
                         ids=["basic", "joblib"])
def test_multirun_over_personas_merges_a_summary(tmp_path, launcher):
    r = cli(tmp_path, "-m", "persona=maya_grieving_daughter,nadia_med_error_friend", *launcher)
    assert r.returncode == 0, r.stderr[-3000:]
    sweep, runs, summary = sweep_summary(tmp_path)
    assert len(set(runs)) == 2  # one run dir per job
    for d in runs:
        assert len((Path(d) / "records.jsonl").read_bytes().splitlines()) == 1
    assert summary["records"] == 2 and summary["planned"] == 2 and summary["status"] == {"ok": 2}
    assert summary["models"]["fake/subject"]["conversations"] == 2
    assert (sweep / "report.html").exists()
    assert "sweep summary" in r.stderr


def test_multirun_over_subject_models(tmp_path):
    r = cli(tmp_path, "-m", "persona=maya_grieving_daughter", "models.subject.model=fake/subject,fake/subject_cold")
    assert r.returncode == 0, r.stderr[-3000:]
    _, _, summary = sweep_summary(tmp_path)
    assert set(summary["models"]) == {"fake/subject", "fake/subject_cold"}
    warm = summary["models"]["fake/subject"]["final_state"]["understood"]["mean"]
    cold = summary["models"]["fake/subject_cold"]["final_state"]["understood"]["mean"]
    assert warm > cold


def test_relational_flexibility_separates_a_one_size_subject(fake, make_cfg):
    """Over a matched set (same person, three cultures), a subject that answers everyone the same
    scores ~0 flexibility; one whose register follows the person scores above it."""
    import fakes
    from simulator.run.runner import run
    from simulator.report.summary import summarize
    from simulator.core.store import iter_records
    from simulator.core.records import CRITERIA

    members = ["ren_exam_jp", "ren_exam_mx", "ren_exam_us"]
    english = fakes.persona_script(["i failed", "everyone is disappointed", "ok"])
    japanese = fakes.persona_script(["落ちた", "みんながっかりしてる", "うん"])  # ren_exam_jp writes Japanese
    fake.set("persona", lambda m, p: (japanese if "Japanese" in m[0]["content"] else english)(m, p))
    fake.set("judge", fakes.judge_json({c: 3 for c in CRITERIA}))
    fake.set("same", fakes.subject_script(["I'm sorry. That sounds difficult. Consider talking to someone."]))

    def adaptive(messages, params):
        text = " ".join(m["content"] for m in messages)
        n = len(text)
        return ("You must feel so ashamed and exhausted, and I'm really sorry. " * (1 + n % 3)).strip() + " What happened?"

    fake.set("adaptive", adaptive)
    recs = []
    for subject in ("same", "adaptive"):
        cfg = make_cfg(persona=members, scenario=["shame_entrance_exam_results_day"], max_turns=2,
                       models={"persona": {"model": "fake/persona"}, "subject": {"model": f"fake/{subject}"},
                               "judge": {"model": "fake/judge"}}, run={"name": subject})
        recs += list(iter_records(run(cfg).run_dir))
    flex = {row["model"]: row for row in summarize(recs)["relational_flexibility"]}
    assert set(flex) == {"fake/same", "fake/adaptive"}
    assert flex["fake/same"]["set_id"] == "exam_failure" and len(flex["fake/same"]["members"]) == 3
    assert flex["fake/same"]["mpad"]["length_words"] == 0
    assert flex["fake/adaptive"]["mpad"]["length_words"] > 0


def test_multirun_on_a_local_ray_instance(tmp_path, monkeypatch):
    """The cluster path: Hydra's Ray launcher, here on a local Ray bound to 127.0.0.1 with no dashboard.

    The `+hydra.launcher.ray.init.*` overrides do reach ray.init (num_cpus=2 shows in the job), but
    Ray resolves a loopback `_node_ip_address` to the machine's interface address while cluster mode
    is on (the Linux default); RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 turns it off, and Ray then keeps
    127.0.0.1. The job itself reports (tests/ray_probe.py) the node, GCS and dashboard address Ray
    gives it. (Ray 2.x still starts its API-server process with include_dashboard=false, frontend
    disabled, on dashboard_host 127.0.0.1; it serves no dashboard URL.)
    """
    pytest.importorskip("hydra_plugins.hydra_ray_launcher")
    probe = tmp_path / "ray_probe"
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    r = cli(tmp_path, "-m", "hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2",
            "+hydra.launcher.ray.init.include_dashboard=false",
            "+hydra.launcher.ray.init.dashboard_host=127.0.0.1",
            "+hydra.launcher.ray.init._node_ip_address=127.0.0.1",
            "persona=maya_grieving_daughter,nadia_med_error_friend",
            env={"EMPATHY_SIM_IMPORT": "fake_plugin,ray_probe", "EMPATHY_SIM_RAY_PROBE": str(probe)})
    assert r.returncode == 0, r.stderr[-3000:]
    _, runs, summary = sweep_summary(tmp_path)
    assert len(set(runs)) == 2 and summary["records"] == 2 and summary["status"] == {"ok": 2}
    seen = [orjson.loads(p.read_bytes()) for p in sorted(probe.glob("*.json"))]
    assert seen, "no Ray job reported its node (tests/ray_probe.py did not run inside Ray)"
    for s in seen:
        assert s["node_ip"] == "127.0.0.1" and s["nodes"] == ["127.0.0.1"], s
        assert s["gcs_address"].startswith("127.0.0.1:"), s
        assert s["dashboard_url"] == "", s
        assert s["cpus"] == 2, s  # the ray.init overrides reached ray.init
