"""Validates JSON documents against a JSON Schema (2020-12) for the Swift tests.
The request (a file named as the first argument, else stdin): {"schema": PATH, "documents": [{"name": ..., "value": ...}, ...]}
stdout: {NAME: [error messages...], ...} (an empty list for a valid document)."""
import json
import sys

import jsonschema

if len(sys.argv) > 1:
    with open(sys.argv[1]) as f:
        request = json.load(f)
else:
    request = json.load(sys.stdin)
with open(request["schema"]) as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
result = {}
for document in request["documents"]:
    result[document["name"]] = [e.message for e in validator.iter_errors(document["value"])]
json.dump(result, sys.stdout)
