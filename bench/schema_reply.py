"""A JSON reply that fits the JSON schema a request asks for (the loopback server's --schema-replies).

Peers that parse structured output (DeepEval's simulator asks for a json_schema response_format;
sotopia puts a langchain-style JSON schema in the prompt) need a reply that validates, or they
retry and fail. Every string field gets the server's usual warm filler text, so a conversation
reads the same as with plain replies; numbers are 0, booleans false (a "stop now?" check says no),
arrays empty. Enums take "speak" where offered (sotopia's action type), else their first value.
"""

from __future__ import annotations

import json
import re

_OBJECT = re.compile(r'\{\s*"')


def schema_of_request(body: dict) -> dict | None:
    """The schema the request wants its reply to follow, or None (plain text is fine)."""
    rf = body.get("response_format")
    if isinstance(rf, dict) and rf.get("type") == "json_schema":
        js = rf.get("json_schema") or {}
        return js.get("schema") if isinstance(js, dict) else None
    # A schema written into the prompt (langchain-style format instructions; sotopia's
    # json.dumps(model_json_schema())): the first JSON object in the last message that has
    # "properties" (objects are tried left to right, so the outermost one wins).
    messages = body.get("messages") or []
    text = messages[-1].get("content") if messages and isinstance(messages[-1], dict) else None
    if isinstance(text, str) and '"properties"' in text:
        decoder = json.JSONDecoder()
        for m in _OBJECT.finditer(text):
            try:
                schema, _ = decoder.raw_decode(text, m.start())
            except ValueError:
                continue
            if isinstance(schema, dict) and "properties" in schema:
                return schema
    return None


def fill(schema: dict, text: str, defs: dict | None = None, depth: int = 0) -> object:
    """A value of `schema` whose strings are `text`."""
    defs = defs if defs is not None else {**schema.get("$defs", {}), **schema.get("definitions", {})}
    if depth > 8:  # recursive schemas: stop somewhere valid
        return None
    if "$ref" in schema:
        return fill(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), text, defs, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return fill(options[0], text, defs, depth + 1)
    if "enum" in schema:
        return "speak" if "speak" in schema["enum"] else schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or "properties" in schema:
        return {k: fill(v, text, defs, depth + 1) for k, v in (schema.get("properties") or {}).items()}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return 0
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return text
