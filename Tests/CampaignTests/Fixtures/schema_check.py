"""Validates JSON documents against a JSON Schema (2020-12) for the Swift tests.
stdin: {"schema": PATH, "documents": [{"name": ..., "value": ...}, ...]}
stdout: {NAME: [error messages...], ...} (an empty list for a valid document)."""
import json
import sys

import jsonschema

request = json.load(sys.stdin)
with open(request["schema"]) as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
result = {}
for document in request["documents"]:
    result[document["name"]] = [e.message for e in validator.iter_errors(document["value"])]
json.dump(result, sys.stdout)
