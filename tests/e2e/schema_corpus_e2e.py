#!/usr/bin/env python3
"""Structured generation on the real default model over the whole JSON Schema corpus
(tests/fixtures/json_schemas/): a real `sgl serve` generates one output per schema through
/generate `json_schema`, and python `jsonschema` (format checks on) validates each.
Prints coverage (schemas that compiled), compliance (finished outputs that validate) and
how many outputs ran out of max_new_tokens (cut JSON, not checkable); exits 1 if any
finished output is invalid or a schema failed to compile.
Usage: schema_corpus_e2e.py SGL_BINARY [--max-new-tokens N] [--concurrency N] [--temperature T] [--every N]"""
import argparse
import concurrent.futures
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_server  # noqa: E402  (the Server helper)

import jsonschema  # noqa: E402

CORPUS = os.path.join(test_server.ROOT, "tests", "fixtures", "json_schemas")


# Keywords whose value maps names to subschemas (the map itself is not a schema), and
# keywords whose value is data, never a schema.
SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
DATA_KEYWORDS = ("enum", "const", "default", "examples", "required")


def openapi_nullable(schema):
    """The schema with OpenAPI 3.0's `nullable: true` (which the corpus uses and the grammar
    honours, as the issue asks) spelled in JSON Schema, which `jsonschema` would ignore.
    OpenAPI 3.0.3 reads it as adding "null" to the types that `type` names, and only where
    `type` is given, so exactly there it becomes anyOf [schema, {type: null}]; elsewhere it
    is dropped (adds nothing). Only schema positions are rewritten, so a property that
    happens to be named "nullable" stays, and $defs stay at the root where $refs point."""
    if isinstance(schema, list):
        return [openapi_nullable(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "nullable":
            continue
        if key in SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: openapi_nullable(sub) for name, sub in value.items()}
        elif key in DATA_KEYWORDS:
            out[key] = value
        else:
            out[key] = openapi_nullable(value)
    if schema.get("nullable") is not True or "type" not in schema:
        return out
    defs = {k: out.pop(k) for k in ("$defs", "definitions", "$schema") if k in out}
    return {"anyOf": [out, {"type": "null"}], **defs}


def validate(schema, text):
    """Raises unless `text` is JSON valid under `schema` (format checks on)."""
    schema = openapi_nullable(schema)
    cls = jsonschema.validators.validator_for(schema)
    cls(schema, format_checker=cls.FORMAT_CHECKER).validate(json.loads(text))


def run_one(server, path, args, index):
    schema = json.load(open(path))
    prompt = "Write one JSON value that follows this JSON Schema.\nSchema: " + json.dumps(schema) + "\nJSON: "
    body = {"text": prompt, "sampling_params": {"json_schema": json.dumps(schema), "max_new_tokens": args.max_new_tokens,
                                                "temperature": args.temperature, "seed": index}}
    c = server.conn(timeout=7200)  # the whole corpus queues at once on a small CPU
    c.request("POST", "/generate", body=json.dumps(body), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    status, out = r.status, json.loads(r.read().decode())
    c.close()
    if status != 200:
        return {"schema": path, "compiled": False, "error": out}
    rec = {"schema": path, "compiled": True, "output": out["text"],
           "finish": out["meta_info"]["finish_reason"]["type"]}
    if rec["finish"] == "stop":
        try:
            validate(schema, out["text"])
            rec["valid"] = True
        except Exception as e:  # not JSON, or invalid
            rec["valid"] = False
            rec["error"] = str(e).splitlines()[0]
    print(f"{os.path.basename(path)}: {rec['finish']} valid={rec.get('valid')}", file=sys.stderr, flush=True)
    return rec


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sgl")
    parser.add_argument("--max-new-tokens", type=int, default=512)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--every", type=int, default=1, help="take every Nth schema (a quicker sample)")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    test_server.SGL = os.path.abspath(args.sgl)
    paths = sorted(glob.glob(os.path.join(CORPUS, "schema_*.json")))[::args.every]
    server = test_server.Server("--max-total-tokens", "65536")
    try:
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            recs = list(pool.map(lambda ip: run_one(server, ip[1], args, ip[0]), enumerate(paths)))
    finally:
        server.stop()
    if args.out:
        with open(args.out, "w") as f:
            for rec in recs:
                f.write(json.dumps(rec) + "\n")
    compiled = [r for r in recs if r["compiled"]]
    finished = [r for r in compiled if r["finish"] == "stop"]
    valid = [r for r in finished if r["valid"]]
    for r in recs:
        if not r["compiled"] or (r.get("finish") == "stop" and not r["valid"]):
            print("FAILED", os.path.basename(r["schema"]), r.get("error"), repr(r.get("output", ""))[:200])
    print(f"coverage: {len(compiled)}/{len(recs)} schemas compiled")
    print(f"compliance: {len(valid)}/{len(finished)} finished outputs valid "
          f"({len(compiled) - len(finished)} cut by max_new_tokens={args.max_new_tokens})")
    sys.exit(0 if len(compiled) == len(recs) and len(valid) == len(finished) else 1)


if __name__ == "__main__":
    main()
