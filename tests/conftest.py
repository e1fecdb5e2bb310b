import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# Offline before anything imports litellm.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")


@pytest.fixture
def fake():
    import fakes

    return fakes.install()


@pytest.fixture
def make_cfg(tmp_path):
    from simulator.run.config import RunConfig

    def make(**over):
        base = {
            "persona": ["maya_grieving_daughter"],
            "scenario": ["grief_missed_last_call"],
            "max_turns": 3,
            "models": {
                "persona": {"model": "fake/persona", "temperature": 0.5, "max_tokens": 50},
                "subject": {"model": "fake/subject", "temperature": 0.5, "max_tokens": 50},
                "judge": {"model": "fake/judge", "temperature": 0.0, "max_tokens": 500},
            },
            "run": {"out_dir": str(tmp_path / "out"), "progress": False, "backoff_s": 0.0, "cache": False,
                    "report": False},
        }
        for k, v in over.items():
            if isinstance(v, dict) and isinstance(base.get(k), dict):
                base[k] = {**base[k], **v}
            else:
                base[k] = v
        return RunConfig.model_validate(base)

    return make
