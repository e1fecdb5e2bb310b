"""The loopback server's --schema-replies: JSON that fits the schema a request asks for."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for `bench`

from bench.schema_reply import fill, schema_of_request  # noqa: E402

ACTION = {"properties": {"action_type": {"enum": ["none", "speak", "leave"], "type": "string"},
                         "argument": {"type": "string"}}, "required": ["action_type", "argument"],
          "title": "AgentAction", "type": "object"}


def test_a_json_schema_response_format_gets_every_field_with_refs_and_optionals_resolved():
    schema = {"$defs": {"Check": {"type": "object", "properties": {"done": {"type": "boolean"},
                                                                   "n": {"type": "integer"}}}},
              "type": "object", "properties": {"check": {"$ref": "#/$defs/Check"},
                                               "simulated_input": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                               "tags": {"type": "array", "items": {"type": "string"}}}}
    body = {"messages": [{"role": "user", "content": "hi"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}}
    got = fill(schema_of_request(body), "warm words")
    assert got == {"check": {"done": False, "n": 0}, "simulated_input": "warm words", "tags": []}


def test_a_schema_written_into_the_prompt_is_found_and_speak_is_chosen():
    prompt = 'Turn 3. Example {"x": 1}. Your output must follow this schema: ' + json.dumps(ACTION) + " Go."
    body = {"messages": [{"role": "user", "content": prompt}]}
    assert schema_of_request(body) == ACTION
    assert fill(ACTION, "i hear you") == {"action_type": "speak", "argument": "i hear you"}


def test_a_plain_request_gets_no_schema():
    assert schema_of_request({"messages": [{"role": "user", "content": "how are you {really}?"}]}) is None
