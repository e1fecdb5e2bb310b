"""A loopback OpenAI-compatible chat-completions server for benchmarks and tests.

    with LoopbackServer(ServerOptions(latency_ms=200)) as server:
        spec = ModelSpec(model="openai/x", api_base=server.url)   # http://127.0.0.1:PORT/v1
        ...
        server.stats()   # {"total": n, "by_kind": {"ok": …, "rate_limit": …}}

    python -m bench.loopback_server --port 8765 --latency-ms 200 [--failure-rate 0.1 --failure-kinds 429,500]

Endpoints: POST /v1/chat/completions, GET /v1/models, GET /stats, POST /stats/reset. It binds
127.0.0.1 only. What each request does (latency, failure kind) is decided by bench.loopback_plan
from the seed and the request's arrival index, so runs are repeatable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import signal
import socket
import sys
import threading
import time

from aiohttp import web

from bench.loopback_plan import (
    Counters, ServerOptions, count_words, parse_kinds, plan_request, reply_text,
)
from bench.schema_reply import fill, schema_of_request

HOST = "127.0.0.1"


def _completion(model: str, index: int, text: str, prompt_tokens: int) -> dict:
    completion_tokens = len(text.split())
    return {
        "id": f"chatcmpl-loopback-{index}", "object": "chat.completion", "created": int(time.time()),
        "model": model, "system_fingerprint": "loopback",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def _logprobs(p_yes: float, top: int) -> dict:
    """A one-token answer's OpenAI logprobs block: Yes/No with P(Yes) = p_yes, then filler."""
    alts = [("Yes", p_yes), ("No", 1.0 - p_yes), ("The", 1e-4)][: max(1, top)]
    items = [{"token": t, "logprob": math.log(max(p, 1e-12)), "bytes": list(t.encode())} for t, p in alts]
    return {"content": [{**items[0], "top_logprobs": items}]}


def _error(status: int, message: str, etype: str) -> web.Response:
    body = {"error": {"message": message, "type": etype, "param": None, "code": str(status)}}
    return web.json_response(body, status=status)


class _App:
    """The request handlers; counters are read from other threads under a lock."""

    def __init__(self, opts: ServerOptions) -> None:
        self.opts = opts
        self.counters = Counters()
        self.lock = threading.Lock()

    def _next(self, kind_if_bad: str | None = None):
        with self.lock:
            index = self.counters.total
            self.counters.total += 1
            plan = plan_request(self.opts, index)
            self.counters.add(kind_if_bad or plan.kind)
        return plan

    def stats(self) -> dict:
        with self.lock:
            return self.counters.snapshot()

    def reset(self) -> None:
        with self.lock:
            self.counters = Counters()

    async def chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            messages = body["messages"]
            if not isinstance(messages, list):
                raise TypeError("messages must be a list")
        except (ValueError, KeyError, TypeError) as e:
            self._next("bad_request")
            return _error(400, f"bad request: {e}", "invalid_request_error")
        if body.get("stream"):
            self._next("bad_request")
            return _error(400, "streaming is not supported by the loopback server", "invalid_request_error")
        plan = self._next()
        if plan.delay_s:
            await asyncio.sleep(plan.delay_s)
        model = self.opts.model or str(body.get("model") or "loopback")
        if plan.kind == "rate_limit":
            return _error(429, "Rate limit reached (loopback)", "rate_limit_error")
        if plan.kind == "server_error":
            return _error(500, "Internal server error (loopback)", "server_error")
        if plan.kind == "timeout":  # the client should have given up long ago
            return _error(504, "Gateway timeout (loopback hang)", "timeout")
        if plan.kind == "non_json":
            return web.Response(text="<html><body>502 Bad Gateway</body></html>",
                                content_type="text/html", status=200)
        words = self.opts.reply_words
        text = "" if plan.kind == "empty" else reply_text(
            messages, words, wrong_language=plan.kind == "wrong_language")
        schema = schema_of_request(body) if self.opts.schema_replies and text else None
        if schema is not None:
            text = json.dumps(fill(schema, text))
        payload = _completion(model, plan.index, text, count_words(messages))
        if body.get("logprobs") and self.opts.p_yes is not None:  # as OpenAI: alternatives per position
            payload["choices"][0]["logprobs"] = _logprobs(self.opts.p_yes, int(body.get("top_logprobs") or 1))
            payload["choices"][0]["message"]["content"] = "Yes" if self.opts.p_yes >= 0.5 else "No"
        raw = json.dumps(payload).encode()
        if plan.kind == "truncated":  # a body cut off mid-JSON: valid headers, invalid JSON
            raw = raw[: max(1, len(raw) // 2)]
        return web.Response(body=raw, content_type="application/json")

    async def models(self, request: web.Request) -> web.Response:
        name = self.opts.model or "loopback"
        return web.json_response({"object": "list", "data": [{"id": name, "object": "model", "owned_by": "bench"}]})

    async def get_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def post_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response(self.stats())

    def build(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/chat/completions", self.chat)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/stats", self.get_stats)
        app.router.add_post("/stats/reset", self.post_reset)
        return app


def bind(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (port 0: a free one). Never any other interface."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


async def _start(app: _App, sock: socket.socket) -> web.AppRunner:
    runner = web.AppRunner(app.build(), access_log=None, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    await web.SockSite(runner, sock, backlog=1024).start()
    return runner


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel handlers still running at shutdown (a hanging "timeout" request, say)."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in pending:
        t.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


class LoopbackServer:
    """Runs the server in a background thread with its own event loop; a context manager."""

    def __init__(self, opts: ServerOptions | None = None, port: int = 0, **options) -> None:
        self.opts = opts or ServerOptions(**options)
        self._app = _App(self.opts)
        self._port = port
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        assert self._sock is not None, "server not started"
        return self._sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    def stats(self) -> dict:
        return self._app.stats()

    def reset(self) -> None:
        self._app.reset()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._runner = loop.run_until_complete(_start(self._app, self._sock))  # type: ignore[arg-type]
        except BaseException as e:  # noqa: BLE001 - reported to the starting thread
            self._error = e
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()  # until stop() calls loop.stop()
        finally:
            loop.run_until_complete(self._runner.cleanup())
            _cancel_pending(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def start(self, timeout_s: float = 10.0) -> "LoopbackServer":
        self._sock = bind(self._port)
        self._thread = threading.Thread(target=self._serve, name="loopback-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout_s) or self._error is not None:
            raise RuntimeError(f"loopback server failed to start: {self._error!r}")
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout_s)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> "LoopbackServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def options_from_args(ns: argparse.Namespace) -> ServerOptions:
    return ServerOptions(latency_ms=ns.latency_ms, jitter_ms=ns.jitter_ms, failure_rate=ns.failure_rate,
                         failure_kinds=parse_kinds(ns.failure_kinds), reply_words=ns.reply_words,
                         seed=ns.seed, hang_s=ns.hang_s, model=ns.model, schema_replies=ns.schema_replies)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.loopback_server", description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--jitter-ms", type=float, default=0.0)
    p.add_argument("--failure-rate", type=float, default=0.0)
    p.add_argument("--failure-kinds", default="429,500,timeout,empty,truncated,non_json,wrong_language")
    p.add_argument("--reply-words", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hang-s", type=float, default=30.0, help="how long a 'timeout' failure hangs")
    p.add_argument("--model", default=None, help="model name to report (default: echo the request's)")
    p.add_argument("--schema-replies", action="store_true",
                   help="answer a request that asks for a JSON schema with JSON that fits it")
    p.add_argument("--max-lifetime-s", type=float, default=6 * 3600.0, help="exit after this long")
    return p


async def _cli(opts: ServerOptions, port: int, lifetime_s: float) -> dict:
    app = _App(opts)
    sock = bind(port)
    runner = await _start(app, sock)
    print(f"loopback server listening on http://{HOST}:{sock.getsockname()[1]}/v1", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), timeout=lifetime_s)
    except asyncio.TimeoutError:
        pass
    finally:
        await runner.cleanup()
        sock.close()
    return app.stats()


def main(argv: list[str] | None = None) -> int:
    ns = parser().parse_args(argv)
    stats = asyncio.run(_cli(options_from_args(ns), ns.port, ns.max_lifetime_s))
    print(f"served: {json.dumps(stats)}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
