"""Schemathesis hooks for Garrison's schema fuzzing (Tests/GarrisonHostTests/SchemaFuzzTests.swift).

/api/schema/ says only that a write takes a JSON object. Random keys would never reach a
handler's field checks, so the fuzzer's copy of the document (never the published one) lists
the field names the handlers read, each of any JSON type: generated bodies then carry real
field names with wrong types, huge numbers, nulls and nested values.

The names are read from the Swift sources at each run (string literals passed as the first
argument of a call or used as a subscript), so new fields are fuzzed without editing this file.
"""
import os
import re
from pathlib import Path

import schemathesis

ROOT = Path(os.environ.get("GARRISON_ROOT", Path(__file__).resolve().parents[3]))
SOURCES = [ROOT / "Host" / "GarrisonHost"] + sorted((ROOT / "Plugins").glob("*/Plugin")) + sorted((ROOT / "Plugins").glob("*/Core"))
LITERAL = re.compile(r'[(\[]"([a-z][a-z0-9_]{1,40})"')


# Any type a field could be given, kept shallow so generation stays fast.
SCALAR = {"anyOf": [{"type": "integer"}, {"type": "number"}, {"type": "string", "maxLength": 40}, {"type": "boolean"}, {"type": "null"}]}
VALUE = {"anyOf": [SCALAR, {"type": "array", "items": SCALAR, "maxItems": 3}, {"type": "object", "additionalProperties": SCALAR, "maxProperties": 3}]}


def field_names():
    names = set()
    for folder in SOURCES:
        for source in folder.rglob("*.swift"):
            names.update(LITERAL.findall(source.read_text(encoding="utf-8", errors="replace")))
    return sorted(names)


@schemathesis.hook
def before_load_schema(context, raw_schema):
    names = field_names()
    for operations in raw_schema.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None and body.get("schema", {}).get("type") == "object":
                body["schema"] = {"type": "object", "properties": {name: VALUE for name in names}, "maxProperties": 8}
