"""bench.loop_profile files each py-spy sample under the first component one of its frames names."""

from bench.loop_profile import classify

RAW = """\
Runner.run (asyncio/runners.py:118);Handle._run (asyncio/events.py:80);InstrumentFamily.score (judges/instruments/conversation.py:99);_reply_quality (judges/instruments/conversation.py:66) 4
Handle._run (asyncio/events.py:80);subject_node (simulator/conversation/graph.py:170);Gateway.complete (simulator/llm/call.py:231);acompletion (litellm/main.py:938) 7
Handle._run (asyncio/events.py:80);Pregel.astream (pregel/main.py:3180);PregelRunner.atick (pregel/_runner.py:366) 3
Thread.run (threading.py:982);_worker (concurrent/futures/thread.py:83);client.<locals>.wrapper (litellm/utils.py:2076) 2
Handle._run (asyncio/events.py:80);appraise_node (simulator/conversation/graph.py:190);appraise (simulator/conversation/appraisal.py:141) 5
BaseEventLoop._run_once (asyncio/base_events.py:1845) 1
something (elsewhere.py:1) 1

"""


def test_samples_are_filed_by_the_first_matching_component():
    counts = classify(RAW)
    assert counts == {
        "scoring step (instrument families)": 4,
        "litellm (+ OpenAI SDK, transport, pricing, logging)": 9,  # the loop's call and the thread hop
        "langgraph": 3,
        "appraisal (deterministic)": 5,
        "asyncio loop itself": 1,
        "other": 1,
    }
