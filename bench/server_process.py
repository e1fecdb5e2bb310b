"""Run the loopback server in a child process, so its CPU does not share the client's GIL.

    with ServerProcess(ServerOptions(latency_ms=200)) as server:
        server.url        # http://127.0.0.1:PORT/v1
        server.stats()    # fetched from GET /stats on 127.0.0.1

The in-process LoopbackServer (a thread) is right for tests; for throughput benchmarks the server
thread would compete with the runner for the one interpreter lock and distort the measurement.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from bench.loopback_plan import ServerOptions

ROOT = Path(__file__).resolve().parent.parent
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+)/v1)")
# Loopback only: never route these requests through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _args(opts: ServerOptions, lifetime_s: float) -> list[str]:
    args = [
        "--port", "0", "--latency-ms", str(opts.latency_ms), "--jitter-ms", str(opts.jitter_ms),
        "--failure-rate", str(opts.failure_rate), "--failure-kinds", ",".join(opts.failure_kinds),
        "--reply-words", str(opts.reply_words), "--seed", str(opts.seed), "--hang-s", str(opts.hang_s),
        "--max-lifetime-s", str(lifetime_s),
    ]
    if opts.model:
        args += ["--model", opts.model]
    if opts.schema_replies:
        args += ["--schema-replies"]
    return args


class ServerProcess:
    def __init__(self, opts: ServerOptions | None = None, lifetime_s: float = 3600.0, **options) -> None:
        self.opts = opts or ServerOptions(**options)
        self.lifetime_s = lifetime_s
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.port = 0

    def start(self, timeout_s: float = 30.0) -> "ServerProcess":
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.loopback_server", *_args(self.opts, self.lifetime_s)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        found: list[str] = []

        def read_first_line() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            found.append(self.proc.stdout.readline())

        reader = threading.Thread(target=read_first_line, daemon=True)
        reader.start()
        reader.join(timeout_s)
        m = _LISTENING.search(found[0]) if found else None
        if m is None:
            self.stop()
            raise RuntimeError(f"loopback server process did not start: {found!r}")
        self.url, self.port = m.group(1), int(m.group(2))
        return self

    def _get(self, path: str, method: str = "GET") -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=b"" if method == "POST" else None)
        with _OPENER.open(req, timeout=10) as resp:
            return json.loads(resp.read())

    def stats(self) -> dict:
        return self._get("/stats")

    def reset(self) -> dict:
        return self._get("/stats/reset", method="POST")

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout_s)

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
