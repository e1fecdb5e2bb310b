"""Every RunConfig key is a plain Hydra override; an unknown one gets one line with the nearest."""

from __future__ import annotations

import copy
import subprocess
import sys
from importlib.resources import files

import pytest
import yaml
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf
from pydantic import BaseModel

from simulator.cli.main import check_overrides, config_keys, to_run_config
from simulator.run.config import RunConfig
from simulator.core.records import ModelSpec

CONFIG = yaml.safe_load(files("simulator").joinpath("conf", "config.yaml").read_text("utf-8"))


def model_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, f in model.model_fields.items():
        out.append(prefix + name)
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += model_paths(ann, f"{prefix}{name}.")
    return out


def compose_run_config(overrides: list[str]) -> RunConfig:
    """The real config.yaml in Hydra's struct mode, with the CLI's own override check first."""
    with initialize_config_module(config_module="simulator.conf", version_base="1.3"):
        cfg = compose(config_name="config", overrides=check_overrides(overrides))
    return to_run_config(OmegaConf.to_container(cfg, resolve=True))


def test_every_run_config_field_is_declared_in_config_yaml():
    # what is not declared would only work with Hydra's `+` prefix, which the README never shows
    missing = sorted(set(model_paths(RunConfig)) - set(config_keys()))
    assert not missing, f"declare these in simulator/conf/config.yaml: {missing}"
    for role in ("persona", "subject", "judge"):
        assert set(CONFIG["models"][role]) == set(ModelSpec.model_fields)


def test_config_yaml_role_defaults_are_the_model_spec_defaults():
    # so declaring them changes no config hash (finished runs still resume)
    for role in ("persona", "subject", "judge"):
        for name in ("api_base", "timeout_s", "extra"):
            assert CONFIG["models"][role][name] == ModelSpec.model_fields[name].default, (role, name)


def test_the_readme_server_example_and_every_role_key_are_plain_overrides():
    cfg = compose_run_config([
        "models.subject.model=openai/my-model", "models.subject.api_base=http://127.0.0.1:8000/v1",
        "models.judge.timeout_s=300", "models.persona.extra.top_p=0.9", "models.judge.extra={seed:3}",
        "models.subject.temperature=0.2", "models.subject.max_tokens=64",
    ])
    assert cfg.models.subject.model == "openai/my-model"
    assert cfg.models.subject.api_base == "http://127.0.0.1:8000/v1"
    assert cfg.models.judge.timeout_s == 300 and cfg.models.persona.timeout_s == 120.0
    assert cfg.models.persona.extra == {"top_p": 0.9} and cfg.models.judge.extra == {"seed": 3}
    assert cfg.models.subject.extra == {}
    assert (cfg.models.subject.temperature, cfg.models.subject.max_tokens) == (0.2, 64)


def test_the_default_config_hash_is_unchanged_by_declaring_the_role_keys():
    declared = compose_run_config([])
    bare = {**copy.deepcopy(CONFIG), "models": {
        role: {k: CONFIG["models"][role][k] for k in ("model", "temperature", "max_tokens")}
        for role in ("persona", "subject", "judge")}}
    bare.pop("hydra"), bare.pop("defaults")
    assert declared.config_hash() == RunConfig.model_validate(bare).config_hash()


def test_extra_keys_go_to_hydra_as_add_or_override_and_others_unchanged():
    argv = ["-m", "models.subject.extra.top_p=0.9", "models.subject.extra={a:1}", "max_turns=4",
            "+models.subject.extra.x=1", "hydra.launcher.n_jobs=2", "hydra/launcher=joblib", "--cfg", "job"]
    assert check_overrides(argv) == ["-m", "++models.subject.extra.top_p=0.9", "++models.subject.extra={a:1}",
                                     "max_turns=4", "+models.subject.extra.x=1", "hydra.launcher.n_jobs=2",
                                     "hydra/launcher=joblib", "--cfg", "job"]


@pytest.mark.parametrize("key,nearest", [
    ("models.subject.api_bse", "models.subject.api_base"),
    ("models.subject.timeout", "models.subject.timeout_s"),
    ("concurrency", "run.concurrency"),
    ("max_turn", "max_turns"),
    ("models.subject.temperature.x", "models.subject.temperature"),
])
def test_an_unknown_key_names_the_nearest_valid_ones(key, nearest, capsys):
    with pytest.raises(SystemExit) as e:
        check_overrides([f"{key}=1"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.strip().splitlines()) == 1
    assert f"unknown config key {key!r}" in err
    assert nearest in err.split("nearest:", 1)[1].split("(", 1)[0]


def test_cli_unknown_role_key_is_one_line_not_hydras_struct_error():
    r = subprocess.run([sys.executable, "-m", "simulator.cli.main", "models.subject.api_bse=http://127.0.0.1:8000/v1"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "nearest: models.subject.api_base" in lines[0]
    assert "not in struct" not in r.stderr and "HYDRA_FULL_ERROR" not in r.stderr


def test_help_shows_the_usage_and_the_config_as_overridden():
    r = subprocess.run([sys.executable, "-m", "simulator.cli.main", "models.subject.api_base=http://127.0.0.1:8000/v1",
                        "--help"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "empathy-sim validate" in r.stdout and "== Config ==" in r.stdout
    subject = r.stdout.split("  subject:", 1)[1].split("  judge:", 1)[0]
    assert "api_base: http://127.0.0.1:8000/v1" in subject
