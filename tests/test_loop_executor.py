"""litellm's set-up step runs on the loop (no thread hop); everything else still goes to threads."""

import asyncio
import concurrent.futures
import contextvars
import functools
import threading

import litellm
from litellm import CustomLLM

import fakes
from simulator.core.records import ModelSpec
from simulator.llm import loop_executor
from simulator.llm.call import Gateway
from simulator.llm.providers import register_provider

MSG = [{"role": "user", "content": "hello"}]


class Recording(loop_executor.LoopExecutor):
    """Notes, for each submission, the function's innermost name and the thread it ran on."""

    def __init__(self):
        super().__init__(max_workers=2)
        self.ran: list[tuple[str, bool]] = []

    def submit(self, fn, /, *args, **kwargs):
        inner = fn.args[0] if isinstance(fn, functools.partial) and fn.args else fn
        name = getattr(getattr(inner, "func", inner), "__name__", repr(inner))
        loop_thread = threading.get_ident()

        def noted():
            self.ran.append((name, threading.get_ident() == loop_thread))
            return fn(*args, **kwargs)

        # the same shape as what was submitted (Context.run of a function), so the arming applies
        return super().submit(_as_context_run(noted))


def _as_context_run(f):
    return functools.partial(contextvars.copy_context().run, f)


class Threaded(CustomLLM):
    """A provider whose own work is blocking and handed to a thread, like local/ generation."""

    def __init__(self):
        super().__init__()
        self.threads: list[bool] = []

    async def acompletion(self, model, messages, api_base, custom_prompt_dict, model_response, *a, **k):
        loop_thread = threading.get_ident()

        def work():
            self.threads.append(threading.get_ident() == loop_thread)
            model_response.choices[0].message.content = "from a thread"
            return model_response

        return await asyncio.to_thread(work)


def _run(coro_fn, executor):
    async def main():
        asyncio.get_running_loop().set_default_executor(executor)
        return await coro_fn()

    return asyncio.run(main())


def test_litellm_setup_runs_on_the_loop_and_answers_the_same(fake):
    fake.set("subject", fakes.subject_script(["one", "two", "three"]))
    g = Gateway(retries=0, backoff_s=0.0)
    spec = ModelSpec(model="fake/subject", max_tokens=8)
    ex = Recording()

    async def calls():
        return [(await g.complete(spec, MSG + [{"role": "assistant", "content": "x"}] * i, role="subject")).text
                for i in range(3)]

    assert _run(calls, ex) == ["one", "two", "three"]
    # one submission per call, litellm's completion() set-up, and it ran on the loop thread
    assert ex.ran == [("completion", True)] * 3


def test_a_providers_own_blocking_work_still_goes_to_a_thread():
    provider = Threaded()
    register_provider("threaded", provider)
    g = Gateway(retries=0, backoff_s=0.0)
    ex = Recording()

    async def call():
        return (await g.complete(ModelSpec(model="threaded/x", max_tokens=8), MSG, role="subject")).text

    assert _run(call, ex) == "from a thread"
    assert provider.threads == [False]  # to_thread inside the call: a worker thread, not the loop
    assert [on_loop for _, on_loop in ex.ran] == [True, False]


def test_unarmed_submissions_and_other_providers_keep_the_thread_hop():
    ex = Recording()

    async def plain():
        return await asyncio.to_thread(threading.get_ident)

    assert _run(plain, ex) != threading.get_ident()
    assert ex.ran and not any(on_loop for _, on_loop in ex.ran)
    # a provider whose set-up may block (credential refresh, files) is never armed
    assert Gateway._inline_setup(ModelSpec(model="anthropic/claude-x")) is False


def test_a_loop_with_its_own_executor_keeps_it(fake):
    fake.set("subject", fakes.subject_script(["kept"]))
    own = concurrent.futures.ThreadPoolExecutor(max_workers=1)

    async def call():
        text = (await Gateway(retries=0).complete(ModelSpec(model="fake/subject"), MSG, role="subject")).text
        return text, loop_executor.install(asyncio.get_running_loop())

    assert _run(call, own) == ("kept", False)


def test_an_error_in_the_inline_step_reaches_the_caller():
    ex = loop_executor.LoopExecutor(max_workers=1)
    seen = []

    def boom():
        seen.append(threading.get_ident())
        raise litellm.BadRequestError(message="bad", model="x", llm_provider="openai")

    async def main():
        asyncio.get_running_loop().set_default_executor(ex)
        with loop_executor.inline_setup(True):
            try:
                await asyncio.get_running_loop().run_in_executor(None, _as_context_run(boom))
            except litellm.BadRequestError as e:
                return str(e)
        return None

    assert "bad" in asyncio.run(main())
    assert seen == [threading.get_ident()]  # raised on the loop thread, re-raised at the await
