"""Imported through EMPATHY_SIM_IMPORT by the README test (tests/test_readme.py) into every
`empathy-sim` it runs, so README commands run exactly as written, offline:

* the embedded `local/…` models are served by scripted fakes (registered as the `local` litellm
  provider before the real one would be), which answer as persona, subject or judge according
  to the prompt, through the real litellm call site. They are registered when the engine first
  imports its provider registry, so commands that load no model library still load none here;
* a network guard stops the process (exit status GUARD_EXIT, one line naming the endpoint) at
  the first DNS look-up of a non-local name or the first connection to an endpoint the test
  does not serve: that is the point where a call to a real provider would leave the machine;
* EMPATHY_SIM_README_ROUTES ("127.0.0.1:8000=127.0.0.1:41234,…") sends connections for an
  address the README names to the loopback server the test started on a free port.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import math
import os
import socket
import sys

GUARD_EXIT = 97
_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}

PERSONA_EN = ["it's been a hard week", "i missed her last call", "nobody at work knows",
              "i keep checking my phone for her", "maybe i should just sleep", "thanks for listening",
              "i don't know what else to say", "ok"]
PERSONA_JA = ["今週は本当につらかったです。", "結果を見るのが怖くて、まだ誰にも言えていません。",
              "母の顔を見るのがつらいです。", "どうしたらいいのか分かりません。", "少し眠ろうかな。",
              "聞いてくれてありがとう。", "もう何を言えばいいのか。", "うん"]


def persona_line(lines: list[str], messages: list[dict]) -> str:
    """The first line not yet in the conversation (chat or script form alike): never a repeat."""
    said = "\n".join(m["content"] for m in messages)
    fresh = [line for line in lines if line not in said]
    return fresh[0] if fresh else f"{lines[-1]} ({said.count(lines[-1])})"


def _routes() -> dict[tuple[str, int], tuple[str, int]]:
    out = {}
    for item in filter(None, os.environ.get("EMPATHY_SIM_README_ROUTES", "").split(",")):
        src, dst = item.split("=")
        (sh, sp), (dh, dp) = src.rsplit(":", 1), dst.rsplit(":", 1)
        out[(sh, int(sp))] = (dh, int(dp))
    return out


ROUTES = _routes()


def _stop(what: str) -> None:
    os.write(2, f"readme-guard: stopped before leaving the machine: {what}\n".encode())
    os._exit(GUARD_EXIT)


def _install_guard() -> None:
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def target(sock: socket.socket, address):
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return address  # unix sockets never leave the machine
        host, port = address[0], address[1]
        if (host, port) in ROUTES:
            return ROUTES[(host, port)]
        if host in ("127.0.0.1", "::1") and (host, port) in ROUTES.values():
            return address
        _stop(f"connect to {host}:{port}")

    def connect(self, address):
        return real_connect(self, target(self, address))

    def connect_ex(self, address):
        return real_connect_ex(self, target(self, address))

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in _LOCAL_NAMES:
            _stop(f"look up {name}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    socket.getaddrinfo = getaddrinfo
    try:  # c-ares would resolve names without Python's socket module
        import aiohttp.connector
        import aiohttp.resolver

        aiohttp.resolver.DefaultResolver = aiohttp.resolver.ThreadedResolver
        aiohttp.connector.DefaultResolver = aiohttp.resolver.ThreadedResolver
    except ImportError:
        pass


# One next-token distribution serves every probability question: yes/no (judges/llm_judges/prob.py)
# and A/B (judges/llm_judges/tension.py) readers each take the answers they know from it.
DISTRIBUTION = [("Yes", math.log(0.6)), ("No", math.log(0.2)), ("A", math.log(0.15)), ("B", math.log(0.05))]


def _register_local_fake(providers) -> None:
    """Register the fake `local` provider (litellm is imported by now: providers imports it)."""
    import fakes
    import litellm
    from litellm import CustomLLM
    from litellm.types.utils import ChoiceLogprobs

    from judges.llm_judges.render import JUDGE_SYSTEM
    from simulator.core.records import CRITERIA

    judge = fakes.judge_json({c: 4 for c in CRITERIA})
    subject = fakes.subject_script(fakes.WARM)

    def respond(messages: list[dict], params: dict) -> str | list:
        """The reply of whichever role this request is for, told apart by its shape."""
        if params.get("logprobs"):
            return DISTRIBUTION
        japanese = any("Japanese" in m["content"] for m in messages)
        persona = PERSONA_JA if japanese else PERSONA_EN
        if params.get("raw_completion"):  # the persona's script form (simulator/conversation/persona_script.py)
            return persona_line(persona, messages)
        system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
        if system == JUDGE_SYSTEM:
            return judge(messages, params)
        if "NOT an assistant" in system:  # the persona's chat form (simulator/conversation/persona_prompt.py)
            return persona_line(persona, messages)
        return subject(messages, params)

    class LocalFake(CustomLLM):
        """Stands in for the embedded `local/` provider: any model name, every role."""

        def _respond(self, messages: list, optional_params: dict, model_response):
            out = respond(messages, optional_params)
            if isinstance(out, list):  # a distribution: OpenAI-shaped logprobs, first token as text
                model_response.choices[0].logprobs = ChoiceLogprobs(content=[{
                    "token": out[0][0], "logprob": out[0][1], "bytes": None,
                    "top_logprobs": [{"token": t, "logprob": lp, "bytes": None} for t, lp in out]}])
                out = out[0][0]
            model_response.choices[0].message.content = out
            model_response.usage = litellm.Usage(
                prompt_tokens=sum(len(m["content"].split()) for m in messages),
                completion_tokens=len(out.split()), total_tokens=0)
            return model_response

        def completion(self, model, messages, api_base, custom_prompt_dict, model_response, print_verbose,
                       encoding, api_key, logging_obj, optional_params, *a, **k):
            return self._respond(messages, optional_params, model_response)

        async def acompletion(self, model, messages, api_base, custom_prompt_dict, model_response,
                              print_verbose, encoding, api_key, logging_obj, optional_params, *a, **k):
            return self._respond(messages, optional_params, model_response)

    providers.register_provider("local", LocalFake())


class _AfterProvidersImport(importlib.abc.MetaPathFinder):
    """Runs _register_local_fake right after simulator.llm.providers is first imported."""

    NAME = "simulator.llm.providers"

    def find_spec(self, name, path=None, target=None):
        if name != self.NAME:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            _register_local_fake(module)

        spec.loader.exec_module = exec_module
        return spec


_install_guard()
if _AfterProvidersImport.NAME in sys.modules:
    _register_local_fake(sys.modules[_AfterProvidersImport.NAME])
else:
    sys.meta_path.insert(0, _AfterProvidersImport())
