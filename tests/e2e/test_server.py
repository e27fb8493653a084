#!/usr/bin/env python3
"""Black-box tests of `sgl serve`: start the real server on a loopback port with the
default model (SmolLM2) and talk to it with raw HTTP and with the official `openai`
client: every route, streaming and not, errors, auth, metrics, client disconnects
(their KV is freed), /abort_request, 200 concurrent streams, the SIGTERM drain, and
constrained decoding (regex / json_schema / ebnf, OpenAI response_format, bad grammars,
--grammar-backend none).
Usage: test_server.py SGL_BINARY"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SGL = None
MODEL = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")


class Server:
    """A running `sgl serve` on a free port; its log is kept for failures."""

    def __init__(self, *extra, model=None):
        self.proc = subprocess.Popen(
            [SGL, "serve", "--model-path", model or MODEL, "--port", "0", "--threads", "2", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log = []
        deadline = time.time() + 120
        self.port = None
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.log.append(line)
            m = re.search(r"at http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("server did not start:\n" + "".join(self.log))
        threading.Thread(target=self._drain_log, daemon=True).start()

    def _drain_log(self):
        for line in self.proc.stdout:
            self.log.append(line)

    def conn(self, timeout=300):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, raw=None):
        c = self.conn()
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        c.request(method, path, body=data, headers=headers or {"Content-Type": "application/json"})
        r = c.getresponse()
        payload = r.read().decode()
        c.close()
        return r.status, payload

    def json(self, method, path, body=None, headers=None):
        status, payload = self.request(method, path, body, headers)
        return status, (json.loads(payload) if payload else None)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def sse_events(response):
    """The JSON payloads of an SSE response, and whether it ended with [DONE]."""
    events, done = [], False
    for line in response.read().decode().split("\n"):
        if not line.startswith("data: "):
            continue
        data = line[len("data: "):]
        if data == "[DONE]":
            done = True
        else:
            events.append(json.loads(data))
    return events, done


def cli_greedy(ids, n):
    r = subprocess.run([SGL, "generate", "--model-path", MODEL, "--input-ids", ",".join(map(str, ids)),
                        "--max-new-tokens", str(n), "--temperature", "0", "--ignore-eos", "--threads", "2"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return [int(t) for t in r.stdout.replace(",", " ").split()]


class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("--enable-metrics", "--max-body-bytes", "1000000")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def generate(self, body):
        return self.server.json("POST", "/generate", body)

    def server_info(self):
        status, info = self.server.json("GET", "/get_server_info")
        self.assertEqual(status, 200)
        return info["internal_states"][0]

    def wait_idle(self):
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.server_info()["num_running_reqs"] == 0:
                return
            time.sleep(0.1)
        self.fail("requests still running")

    # --- native API --------------------------------------------------------------------
    def test_health_and_info(self):
        self.assertEqual(self.server.request("GET", "/health"), (200, ""))
        self.assertEqual(self.server.request("GET", "/health_generate")[0], 200)
        status, info = self.server.json("GET", "/get_model_info")
        self.assertEqual(status, 200)
        self.assertEqual(info["model_path"], MODEL)
        self.assertTrue(info["is_generation"])
        status, info = self.server.json("GET", "/get_server_info")
        self.assertEqual(status, 200)
        self.assertEqual(info["port"], 0)
        self.assertGreater(info["max_total_num_tokens"], 0)
        self.assertIn("version", info)

    def test_generate_greedy_matches_cli(self):
        ids = [1, 504, 3458, 282, 4649, 314]
        status, out = self.generate({"input_ids": ids, "sampling_params": {
            "max_new_tokens": 12, "temperature": 0, "ignore_eos": True}})
        self.assertEqual(status, 200, out)
        self.assertEqual(out["output_ids"], cli_greedy(ids, 12))
        meta = out["meta_info"]
        self.assertEqual(meta["prompt_tokens"], len(ids))
        self.assertEqual(meta["completion_tokens"], 12)
        self.assertEqual(meta["finish_reason"], {"type": "length", "length": 12})
        self.assertEqual(len(meta["id"]), 32)
        self.assertGreater(meta["e2e_latency"], 0)

    def test_generate_text_and_batch(self):
        status, out = self.generate({"text": ["The capital of France is", "1, 2, 3,"],
                                     "sampling_params": {"max_new_tokens": 4, "temperature": 0},
                                     "rid": ["a1", "a2"]})
        self.assertEqual(status, 200, out)
        self.assertEqual([o["meta_info"]["id"] for o in out], ["a1", "a2"])
        for o in out:
            self.assertEqual(len(o["output_ids"]), o["meta_info"]["completion_tokens"])
        # n > 1 makes a list of n samples.
        status, out = self.generate({"text": "Hello", "sampling_params": {"max_new_tokens": 3, "n": 3}})
        self.assertEqual(status, 200, out)
        self.assertEqual(len(out), 3)

    def test_repeated_prompt_is_cached(self):
        body = {"text": "A long shared system prompt about caching and prefix reuse in servers.",
                "sampling_params": {"max_new_tokens": 1}}
        self.generate(body)
        status, out = self.generate(body)
        self.assertEqual(status, 200)
        self.assertGreater(out["meta_info"]["cached_tokens"], 0)

    def test_generate_stream(self):
        c = self.server.conn()
        c.request("POST", "/generate", json.dumps({"input_ids": [1, 2, 3], "stream": True, "sampling_params": {
            "max_new_tokens": 6, "temperature": 0, "ignore_eos": True}}))
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "text/event-stream")
        events, done = sse_events(r)
        self.assertTrue(done)
        ids = [e["output_ids"] for e in events]
        for prev, cur in zip(ids, ids[1:]):
            self.assertEqual(cur[:len(prev)], prev)  # cumulative
        self.assertEqual(events[-1]["meta_info"]["finish_reason"]["type"], "length")
        self.assertEqual(events[-1]["meta_info"]["completion_tokens"], 6)
        self.assertTrue(all(e["meta_info"]["finish_reason"] is None for e in events[:-1]))
        self.assertEqual(ids[-1], cli_greedy([1, 2, 3], 6))

    def test_stream_text_is_cumulative_and_equals_the_whole_answer(self):
        body = {"text": "Write a short poem about the sea.", "sampling_params": {
            "max_new_tokens": 24, "temperature": 0, "ignore_eos": True}}
        status, whole = self.generate(body)
        self.assertEqual(status, 200)
        self.assertTrue(whole["text"])
        c = self.server.conn()
        c.request("POST", "/generate", json.dumps(dict(body, stream=True)))
        events, done = sse_events(c.getresponse())
        self.assertTrue(done)
        texts = [e["text"] for e in events]
        for prev, cur in zip(texts, texts[1:]):
            self.assertTrue(cur.startswith(prev), (prev, cur))
        self.assertEqual(texts[-1], whole["text"])

    def test_stop_strings(self):
        body = {"text": "The capital of France is", "sampling_params": {
            "max_new_tokens": 16, "temperature": 0, "stop": ["."]}}
        status, out = self.generate(body)
        self.assertEqual(status, 200, out)
        self.assertEqual(out["meta_info"]["finish_reason"], {"type": "stop", "matched": "."})
        self.assertNotIn(".", out["text"])
        body["sampling_params"]["no_stop_trim"] = True
        status, kept = self.generate(body)
        self.assertEqual(kept["text"], out["text"] + ".")
        # Streamed text never runs past the stop string.
        c = self.server.conn()
        c.request("POST", "/generate", json.dumps(dict(body, stream=True)))
        events, _ = sse_events(c.getresponse())
        self.assertTrue(all("." not in e["text"][:-1] for e in events))

    def test_logprobs(self):
        status, out = self.generate({"text": "The capital of France is", "return_logprob": True,
                                     "logprob_start_len": 0, "top_logprobs_num": 3, "token_ids_logprob": [11, 12],
                                     "return_text_in_logprobs": True,
                                     "sampling_params": {"max_new_tokens": 5, "temperature": 0, "ignore_eos": True}})
        self.assertEqual(status, 200, out)
        meta = out["meta_info"]
        inputs, outputs = meta["input_token_logprobs"], meta["output_token_logprobs"]
        self.assertEqual(len(inputs), meta["prompt_tokens"])
        self.assertIsNone(inputs[0][0])
        self.assertEqual(len(outputs), 5)
        self.assertEqual([t[1] for t in outputs], out["output_ids"])
        for (lp, tok, text), top, ids in zip(outputs, meta["output_top_logprobs"], meta["output_token_ids_logprobs"]):
            self.assertLessEqual(lp, 0)
            self.assertIsInstance(text, str)
            self.assertEqual(len(top), 3)
            self.assertEqual(top[0][1], tok)  # greedy picks the best
            self.assertAlmostEqual(top[0][0], lp, places=4)
            self.assertEqual([x[0] for x in top], sorted([x[0] for x in top], reverse=True))
            self.assertEqual([x[1] for x in ids], [11, 12])
        self.assertEqual(len(meta["input_top_logprobs"]), meta["prompt_tokens"])

    def test_bad_requests_get_400_naming_the_field(self):
        cases = [
            ({"text": 5}, "'text'"),
            ({"input_ids": [1, "x"]}, "input_ids[1]"),
            ({}, "Either text, input_ids"),
            ({"text": "hi", "sampling_params": {"temperature": -1}}, "temperature"),
            ({"text": "hi", "sampling_params": {"top_p": 0}}, "top_p"),
            ({"text": "hi", "sampling_params": {"max_new_tokens": "many"}}, "max_new_tokens"),
            ({"text": "hi", "sampling_params": {"tempurature": 1}}, "tempurature"),
            ({"text": "hi", "sampling_params": {"max_new_tokens": 100000}}, "exceeds"),
            ({"input_ids": [999999]}, "vocabulary"),
            ({"text": "hi", "bogus": 1}, "bogus"),
        ]
        for body, needle in cases:
            status, out = self.generate(body)
            self.assertEqual(status, 400, (body, out))
            self.assertIn(needle, out["error"]["message"], body)
        for raw in ["{not json", "[1, 2]", "", "\xff"]:
            status, out = self.server.request("POST", "/generate", raw=raw.encode("latin-1"))
            self.assertEqual(status, 400, raw)

    # --- constrained decoding ---------------------------------------------------------
    PERSON_SCHEMA = {
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 20},
                       "age": {"type": "integer", "minimum": 0, "maximum": 120},
                       "email": {"type": "string", "pattern": "^[a-z]{1,12}@[a-z]{1,12}\\.com$"},
                       "born": {"type": "string", "format": "date"},
                       "role": {"enum": ["admin", "user", "guest"]}},
        "required": ["name", "age", "email", "born", "role"],
    }

    def constrained(self, prompt, temperature, **constraint):
        status, out = self.generate({"text": prompt, "sampling_params": {
            "max_new_tokens": 128, "temperature": temperature, "seed": 7, **constraint}})
        self.assertEqual(status, 200, out)
        self.assertEqual(out["meta_info"]["finish_reason"]["type"], "stop", out)
        return out["text"]

    def test_generate_regex(self):
        pattern = r"(\d{3})-(\d{4}) \((home|work)\)"
        for temperature in (0, 0.9):
            text = self.constrained("Call me at", temperature, regex=pattern)
            self.assertRegex(text, "^" + pattern + "$")

    def test_generate_json_schema(self):
        import jsonschema
        for temperature in (0, 0.9):
            text = self.constrained("A person as JSON:", temperature, json_schema=json.dumps(self.PERSON_SCHEMA))
            jsonschema.validate(json.loads(text), self.PERSON_SCHEMA, format_checker=jsonschema.FormatChecker())

    def test_generate_ebnf(self):
        grammar = 'root ::= "Answer: " ("yes" | "no") ", " word (" " word)? "."\nword ::= [a-z] [a-z]? [a-z]? [a-z]? [a-z]? [a-z]?'
        for temperature in (0, 0.9):
            self.assertRegex(self.constrained("Is water wet?", temperature, ebnf=grammar),
                             r"^Answer: (yes|no), [a-z]{1,6}( [a-z]{1,6})?\.$")

    def test_generate_constrained_stream(self):
        c = self.server.conn()
        c.request("POST", "/generate", body=json.dumps({"text": "Count:", "stream": True, "sampling_params": {
            "max_new_tokens": 32, "temperature": 0, "regex": "[0-9]{1,4}(, [0-9]{1,4}){2}"}}))
        events, done = sse_events(c.getresponse())
        self.assertTrue(done)
        self.assertRegex(events[-1]["text"], r"^[0-9]{1,4}(, [0-9]{1,4}){2}$")

    def test_bad_grammars_get_400_naming_the_problem(self):
        cases = [
            ({"regex": "a(?=b)"}, "lookahead"),
            ({"regex": "(ab"}, "regex"),
            ({"json_schema": "{not json"}, "json"),
            ({"json_schema": json.dumps({"type": "object", "not": {"type": "null"}})}, "not"),
            ({"ebnf": "root ::= undefined_rule"}, "undefined_rule"),
            ({"regex": "a", "ebnf": "root ::= \"a\""}, "Only one of"),
            ({"structural_tag": "{}"}, "structural_tag"),
        ]
        for constraint, needle in cases:
            status, out = self.generate({"text": "hi", "sampling_params": {"max_new_tokens": 4, **constraint}})
            self.assertEqual(status, 400, (constraint, out))
            self.assertIn(needle.lower(), out["error"]["message"].lower(), constraint)
        # A bad grammar in a batch fails the request; the server goes on serving others.
        status, out = self.generate({"text": ["hi", "there"], "sampling_params": {"regex": "a(?<=b)"}})
        self.assertEqual(status, 400, out)
        self.assertIn("lookbehind", out["error"]["message"])
        self.assertRegex(self.constrained("Call me at", 0, regex="[0-9]{3}"), r"^[0-9]{3}$")

    def test_bad_grammar_streamed_like_sglang(self):
        # SGLang compiles grammars in its scheduler, after a stream has begun: a bad one
        # answers 200 and the stream carries one error event, then [DONE]. Same here.
        c = self.server.conn()
        c.request("POST", "/generate", body=json.dumps({"text": "hi", "stream": True, "sampling_params": {
            "max_new_tokens": 4, "regex": "a(?=b)"}}))
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        events, done = sse_events(r)
        self.assertTrue(done)
        self.assertEqual(len(events), 1, events)
        self.assertIn("lookahead", events[0]["error"]["message"])
        self.assertEqual(events[0]["error"]["code"], 400)

    def test_openai_response_format(self):
        import jsonschema
        client = self.client()
        messages = [{"role": "user", "content": "Give me a person as JSON."}]
        r = client.chat.completions.create(model="default", messages=messages, max_tokens=128, temperature=0,
                                           response_format={"type": "json_schema", "json_schema": {
                                               "name": "person", "schema": self.PERSON_SCHEMA, "strict": True}})
        self.assertEqual(r.choices[0].finish_reason, "stop")
        jsonschema.validate(json.loads(r.choices[0].message.content), self.PERSON_SCHEMA,
                            format_checker=jsonschema.FormatChecker())
        r = client.completions.create(model="default", prompt="Numbers:", max_tokens=24, temperature=0,
                                      extra_body={"regex": "[0-9]{1,3}( [0-9]{1,3}){3}"})
        self.assertRegex(r.choices[0].text, r"^[0-9]{1,3}( [0-9]{1,3}){3}$")
        # json_object allows any object, so a small model may run on; what it wrote must
        # still be an object, whole when it stopped.
        short = [{"role": "user", "content": 'Reply with the JSON object {"ok": true} and nothing else.'}]
        for stream in (False, True):
            r = client.chat.completions.create(model="default", messages=short, max_tokens=64, temperature=0,
                                               stream=stream, response_format={"type": "json_object"})
            if stream:
                chunks = [c for c in r if c.choices]
                content = "".join(c.choices[0].delta.content or "" for c in chunks)
                finish = chunks[-1].choices[0].finish_reason
            else:
                content, finish = r.choices[0].message.content, r.choices[0].finish_reason
            self.assertTrue(content.startswith("{"), content)
            if finish == "stop":
                self.assertIsInstance(json.loads(content), dict)

    def test_openai_bad_response_format(self):
        import openai
        messages = [{"role": "user", "content": "x"}]
        for fmt, needle in [({"type": "json_schema"}, "json_schema"),
                            ({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "if": {}}}}, "if"),
                            ({"type": "yaml"}, "yaml")]:
            with self.assertRaises(openai.BadRequestError) as e:
                self.client().chat.completions.create(model="default", messages=messages, max_tokens=4,
                                                      response_format=fmt)
            self.assertIn(needle, str(e.exception))

    def test_unknown_route_method_and_large_body(self):
        self.assertEqual(self.server.request("GET", "/nope")[0], 404)
        self.assertEqual(self.server.request("DELETE", "/generate")[0], 405)
        status, _ = self.server.request("POST", "/generate", raw=b"{\"text\": \"" + b"a" * 2_000_000 + b"\"}")
        self.assertEqual(status, 413)
        # The server is fine afterwards.
        self.assertEqual(self.server.request("GET", "/health")[0], 200)

    def test_disconnect_aborts_and_frees_kv(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        body = json.dumps({"input_ids": [1, 2, 3, 4], "stream": True,
                           "sampling_params": {"max_new_tokens": 3000, "ignore_eos": True}})
        s.sendall(f"POST /generate HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode())
        received = b""
        while received.count(b"data: ") < 3:
            received += s.recv(65536)
        s.close()
        self.wait_idle()
        self.assertEqual(self.server.request("POST", "/flush_cache")[0], 200)
        self.assertEqual(self.server_info()["num_used_tokens"], 0)

    def test_abort_request_by_rid(self):
        result = {}

        def run():
            result["out"] = self.generate({"text": "Count:", "rid": "to-abort", "sampling_params": {
                "max_new_tokens": 3000, "ignore_eos": True}})

        t = threading.Thread(target=run)
        t.start()
        time.sleep(1.0)
        self.assertEqual(self.server.request("POST", "/abort_request", {"rid": "to-abort"})[0], 200)
        t.join(60)
        status, out = result["out"]
        self.assertEqual(status, 200)
        self.assertEqual(out["meta_info"]["finish_reason"]["type"], "abort")
        self.assertLess(out["meta_info"]["completion_tokens"], 3000)

    def test_concurrent_streams(self):
        results = [None] * 200
        barrier = threading.Barrier(200)

        def run(i):
            try:
                c = self.server.conn()
                barrier.wait(60)
                c.request("POST", "/generate", json.dumps({"text": f"Stream {i}:", "stream": True, "sampling_params": {
                    "max_new_tokens": 8, "ignore_eos": True}}))
                r = c.getresponse()
                results[i] = (r.status,) + sse_events(r)
            except Exception as e:  # recorded, then asserted below
                results[i] = (None, [], repr(e))

        threads = [threading.Thread(target=run, args=(i,)) for i in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        for i, (status, events, done) in enumerate(results):
            self.assertEqual(status, 200, (i, done))
            self.assertTrue(done is True, i)
            final = events[-1]["meta_info"]
            self.assertEqual((final["finish_reason"]["type"], final["completion_tokens"]), ("length", 8), i)

    def test_metrics(self):
        self.generate({"text": "metrics", "sampling_params": {"max_new_tokens": 2}})
        status, text = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        for name in ["sglang:prompt_tokens_total", "sglang:generation_tokens_total", "sglang:num_running_reqs",
                     "sglang:num_queue_reqs", "sglang:token_usage", "sglang:cache_hit_rate",
                     "sglang:time_to_first_token_seconds_bucket", "sglang:inter_token_latency_seconds_bucket",
                     "sglang:e2e_request_latency_seconds_count"]:
            self.assertIn(name, text)
        m = re.search(r'^sglang:generation_tokens_total\{model_name="[^"]+"\} (\S+)$', text, re.M)
        self.assertGreater(float(m.group(1)), 0)

    # --- OpenAI API through the official client -------------------------------------------
    def client(self):
        import openai
        return openai.OpenAI(base_url=f"http://127.0.0.1:{self.server.port}/v1", api_key="unused")

    def test_openai_models(self):
        import openai
        models = self.client().models.list()
        self.assertEqual([m.id for m in models.data], [MODEL])
        with self.assertRaises(openai.NotFoundError):
            self.client().models.retrieve("no-such-model")

    def test_openai_chat(self):
        r = self.client().chat.completions.create(
            model="default", messages=[{"role": "system", "content": "You are terse."},
                                       {"role": "user", "content": [{"type": "text", "text": "Say hi"}]}],
            max_tokens=8, temperature=0, n=2)
        self.assertEqual(len(r.choices), 2)
        self.assertEqual(r.choices[0].message.role, "assistant")
        self.assertEqual(r.choices[0].message.content, r.choices[1].message.content)  # greedy
        self.assertEqual(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens)
        self.assertLessEqual(r.usage.completion_tokens, 16)

    def test_openai_chat_stream_with_usage(self):
        stream = self.client().chat.completions.create(
            model="default", messages=[{"role": "user", "content": "Tell me a story"}], max_tokens=10,
            stream=True, stream_options={"include_usage": True}, extra_body={"ignore_eos": True})
        chunks = list(stream)
        self.assertEqual(chunks[0].choices[0].delta.role, "assistant")
        finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
        self.assertEqual(finishes[-1], "length")
        self.assertEqual(chunks[-1].choices, [])
        self.assertEqual(chunks[-1].usage.completion_tokens, 10)

    def test_openai_chat_logprobs_and_stop(self):
        r = self.client().chat.completions.create(
            model="default", messages=[{"role": "user", "content": "Count from 1 to 10."}], max_tokens=20,
            temperature=0, logprobs=True, top_logprobs=2)
        content = r.choices[0].logprobs.content
        self.assertEqual(len(content), r.usage.completion_tokens)
        self.assertTrue(all(len(c.top_logprobs) == 2 and c.logprob <= 0 for c in content))
        first = r.choices[0].message.content
        cut = first[len(first) // 2]
        r = self.client().chat.completions.create(
            model="default", messages=[{"role": "user", "content": "Count from 1 to 10."}], max_tokens=20,
            temperature=0, stop=[cut])
        self.assertEqual(r.choices[0].finish_reason, "stop")
        self.assertTrue(first.startswith(r.choices[0].message.content))
        self.assertNotIn(cut, r.choices[0].message.content)

    def test_openai_completions(self):
        r = self.client().completions.create(model="default", prompt=["Once upon", "The sky"], max_tokens=5,
                                             temperature=0, extra_body={"ignore_eos": True})
        self.assertEqual([c.index for c in r.choices], [0, 1])
        self.assertEqual(r.usage.completion_tokens, 10)
        stream = self.client().completions.create(model="default", prompt="Once upon", max_tokens=5,
                                                  temperature=0, stream=True, extra_body={"ignore_eos": True})
        self.assertEqual(list(stream)[-1].choices[0].finish_reason, "length")

    def test_openai_errors(self):
        import openai
        with self.assertRaises(openai.BadRequestError) as e:
            self.client().chat.completions.create(model="default", messages=[], max_tokens=2)
        self.assertIn("messages", str(e.exception))
        with self.assertRaises(openai.BadRequestError):
            self.client().chat.completions.create(model="default", messages=[{"role": "user", "content": "x"}],
                                                  temperature=-2)
        with self.assertRaises(openai.BadRequestError):
            self.client().chat.completions.create(
                model="default", messages=[{"role": "user", "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}])


class AuthTest(unittest.TestCase):
    def test_api_key(self):
        server = Server("--api-key", "sekrit")
        try:
            self.assertEqual(server.request("GET", "/health")[0], 200)
            self.assertEqual(server.request("GET", "/get_model_info")[0], 401)
            self.assertEqual(server.request("GET", "/v1/models", headers={"Authorization": "Bearer wrong"})[0], 401)
            self.assertEqual(server.request("GET", "/v1/models", headers={"Authorization": "Bearer sekrit"})[0], 200)
            import openai
            with self.assertRaises(openai.AuthenticationError):
                openai.OpenAI(base_url=f"http://127.0.0.1:{server.port}/v1", api_key="nope").models.list()
        finally:
            server.stop()


class FlagsTest(unittest.TestCase):
    def test_invalid_flags_exit_2(self):
        for args in [["--port", "99999"], ["--schedule-policy", "nope"], ["--no-such-flag"],
                     ["--mem-fraction-static", "1.5"], ["--tp-size", "0"],
                     ["--cuda-graph-max-bs", "-1"], ["--device", "tpu"], ["--tool-call-parser", "nope"]]:
            r = subprocess.run([SGL, "serve", "--model-path", MODEL, *args], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.strip(), args)

    def test_help_documents_flags(self):
        r = subprocess.run([SGL, "serve", "--help"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0)
        for flag in ["--model-path", "--tokenizer-path", "--host", "--port", "--tp-size", "--dp-size",
                     "--mem-fraction-static", "--max-running-requests", "--max-total-tokens", "--chunked-prefill-size",
                     "--schedule-policy", "--disable-radix-cache", "--context-length", "--page-size",
                     "--served-model-name", "--chat-template", "--api-key", "--log-level", "--log-requests",
                     "--enable-metrics", "--device", "--dtype", "--random-seed", "--cuda-graph-max-bs",
                     "--disable-cuda-graph"]:
            self.assertIn(flag, r.stdout)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GrammarBackendTest(unittest.TestCase):
    def test_backend_none_refuses_constrained_requests(self):
        server = Server("--grammar-backend", "none")
        try:
            status, out = server.json("POST", "/generate", {"text": "hi", "sampling_params": {"regex": "[0-9]+"}})
            self.assertEqual(status, 400, out)
            self.assertIn("grammar backend is none", out["error"]["message"])
            status, _ = server.json("POST", "/generate", {"text": "hi", "sampling_params": {"max_new_tokens": 2}})
            self.assertEqual(status, 200)
        finally:
            server.stop()


class ToolCallTest(unittest.TestCase):
    """--tool-call-parser qwen25: a chat answer holding a <tool_call> comes back as OpenAI
    tool_calls (the output is forced into that shape by a regex, as the small model would
    not write it on its own)."""
    TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    CALL = r'<tool_call>\n\{"name": "get_weather", "arguments": \{"city": "(Paris|Rome)"\}\}\n</tool_call>'

    @classmethod
    def setUpClass(cls):
        cls.server = Server("--tool-call-parser", "qwen25")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def body(self, **extra):
        return {"model": "m", "messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": self.TOOLS,
                "regex": r"Let me look\. " + self.CALL, "max_tokens": 160, "temperature": 0, **extra}

    def test_tool_calls_parsed(self):
        import openai
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{self.server.port}/v1", api_key="unused")
        body = self.body()
        r = client.chat.completions.create(model="m", messages=body["messages"], tools=self.TOOLS, max_tokens=160,
                                           temperature=0, extra_body={"regex": body["regex"]})
        choice = r.choices[0]
        self.assertEqual(choice.finish_reason, "tool_calls", choice.message)
        self.assertEqual(choice.message.content, "Let me look.")
        self.assertEqual(len(choice.message.tool_calls), 1)
        call = choice.message.tool_calls[0]
        self.assertEqual(call.function.name, "get_weather")
        self.assertIn(json.loads(call.function.arguments)["city"], ["Paris", "Rome"])
        self.assertTrue(call.id.startswith("call_"))

    def test_streamed_tool_calls_never_show_their_markup(self):
        c = self.server.conn()
        c.request("POST", "/v1/chat/completions", json.dumps(self.body(stream=True)))
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        content, calls, finish = "", [], None
        events, done = sse_events(r)
        self.assertTrue(done)
        for event in events:
            for choice in event["choices"]:
                delta = choice.get("delta", {})
                content += delta.get("content") or ""
                calls += delta.get("tool_calls") or []
                finish = choice.get("finish_reason") or finish
        self.assertEqual(finish, "tool_calls")
        self.assertNotIn("tool_call", content)
        self.assertEqual(content.strip(), "Let me look.")
        self.assertEqual([c["function"]["name"] for c in calls], ["get_weather"])

    def test_tool_choice_required_or_named_forces_calls(self):
        tools = self.TOOLS + [{"type": "function", "function": {"name": "get_time", "parameters": {
            "type": "object", "properties": {"zone": {"type": "string", "enum": ["UTC", "CET"]}}, "required": ["zone"]}}}]
        for choice, allowed in [("required", {"get_weather", "get_time"}),
                                ({"type": "function", "function": {"name": "get_time"}}, {"get_time"})]:
            for stream in (False, True):
                body = {"model": "m", "messages": [{"role": "user", "content": "What time is it?"}], "tools": tools,
                        "tool_choice": choice, "max_tokens": 200, "temperature": 0, "stream": stream}
                if stream:
                    c = self.server.conn()
                    c.request("POST", "/v1/chat/completions", json.dumps(body))
                    events, done = sse_events(c.getresponse())
                    c.close()
                    self.assertTrue(done)
                    calls = [tc for e in events for ch in e["choices"] for tc in (ch.get("delta", {}).get("tool_calls") or [])]
                    finish = [ch["finish_reason"] for e in events for ch in e["choices"] if ch.get("finish_reason")]
                    self.assertEqual(finish, ["tool_calls"], events)
                else:
                    status, out = self.server.json("POST", "/v1/chat/completions", body)
                    self.assertEqual(status, 200, out)
                    self.assertEqual(out["choices"][0]["finish_reason"], "tool_calls", out)
                    calls = out["choices"][0]["message"]["tool_calls"]
                self.assertGreaterEqual(len(calls), 1, (choice, stream))
                for call in calls:
                    self.assertIn(call["function"]["name"], allowed)
                    args = json.loads(call["function"]["arguments"])
                    if call["function"]["name"] == "get_time":
                        self.assertIn(args["zone"], ["UTC", "CET"])
        for bad in [{"tool_choice": "required", "tools": None}, {"tool_choice": {"type": "function", "function": {"name": "nope"}}},
                    {"tool_choice": "sometimes"}]:
            body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": self.TOOLS, **bad}
            body = {k: v for k, v in body.items() if v is not None}
            status, out = self.server.json("POST", "/v1/chat/completions", body)
            self.assertEqual(status, 400, (bad, out))

    def test_without_tools_or_with_tool_choice_none_the_text_stays(self):
        for extra in [{"tools": None}, {"tool_choice": "none"}]:
            body = {k: v for k, v in self.body(**extra).items() if v is not None}
            status, out = self.server.json("POST", "/v1/chat/completions", body)
            self.assertEqual(status, 200, out)
            message = out["choices"][0]["message"]
            self.assertIn("<tool_call>", message["content"])
            self.assertIsNone(message["tool_calls"])


class GuideTest(unittest.TestCase):
    """What the SGLang + GLM-4.xV deployment guides do, with the default model."""

    def test_guide_launch_line_starts_unchanged(self):
        port = free_port()
        proc = subprocess.Popen([SGL, "serve", "--model-path", MODEL, "--host", "0.0.0.0", "--port", str(port),
                                 "--tensor-parallel-size", "1", "--mem-fraction-static", "0.8", "--log-level", "warning"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.time() + 120
            while time.time() < deadline:
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    c.request("GET", "/health")
                    if c.getresponse().status == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            else:
                self.fail("the guide's launch line did not start a server")
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(60), 0)

    def test_trace_records_and_request_ids(self):
        server = Server("--log-req-id", "--log-format", "json")
        try:
            c = server.conn()
            c.request("POST", "/generate", json.dumps({"text": "Tell me about the sea.", "sampling_params": {
                "max_new_tokens": 8, "ignore_eos": True}}), headers={"X-Request-Id": "guide-req-7"})
            start = time.time()
            r = c.getresponse()
            out = json.loads(r.read())
            measured_ms = (time.time() - start) * 1e3
            self.assertEqual(r.getheader("X-Request-Id"), "guide-req-7")
            self.assertEqual(out["meta_info"]["id"], "guide-req-7")
            status, body = server.json("POST", "/generate", {"text": "x", "rid": "body-rid",
                                                             "sampling_params": {"max_new_tokens": 1}})
            self.assertEqual(body["meta_info"]["id"], "body-rid")
            record = trace_record(server, "guide-req-7")
            self.assertIsNotNone(record, "".join(server.log))
            for key in ["tokenize_ms", "queue_ms", "prefill_ms", "decode_ms", "e2e_ms"]:
                self.assertGreaterEqual(record[key], 0, key)
            self.assertGreaterEqual(record["prefill_chunks"], 1)
            self.assertEqual((record["prompt_tokens"], record["completion_tokens"], record["finish"]),
                             (out["meta_info"]["prompt_tokens"], 8, "length"))
            stages = record["tokenize_ms"] + record["queue_ms"] + record["prefill_ms"] + record["decode_ms"]
            self.assertLessEqual(stages, record["e2e_ms"] * 1.05 + 1)
            self.assertGreaterEqual(stages, record["e2e_ms"] * 0.8 - 5)
            self.assertLessEqual(record["e2e_ms"], measured_ms + 5)
            self.assertNotIn("Tell me about the sea", "".join(server.log))  # no contents in logs
        finally:
            server.stop()

    def test_trace_says_where_the_grammar_stopped(self):
        """A constrained request that ended badly (max tokens before the grammar could end, or
        the grammar failing mid-generation) says where: the token position, and the text so
        far only when --log-requests-level allows contents."""
        for level in (0, 2):
            server = Server("--log-req-id", "--log-format", "json", "--log-requests-level", str(level))
            try:
                def run(rid, max_new_tokens, regex, **extra):
                    status, out = server.json("POST", "/generate", {"text": "Name an animal:", "rid": rid,
                                                                    "sampling_params": {
                                                                        "max_new_tokens": max_new_tokens,
                                                                        "temperature": 0, "regex": regex, **extra}})
                    self.assertEqual(status, 200, out)
                    record = trace_record(server, rid)
                    self.assertIsNotNone(record, "".join(server.log))
                    self.assertIn("grammar_compile_ms", record)
                    return out, record

                out, cut = run(f"cut-{level}", 3, "Quokkas [a-z]{20,40}")
                self.assertEqual((cut["finish"], out["meta_info"]["finish_reason"]["type"]), ("length", "length"))
                self.assertEqual((cut["grammar_stop_position"], cut["grammar_stop_reason"]), (3, "incomplete"))
                self.assertTrue(out["text"].startswith("Qu"), out["text"])

                bad, failed = run(f"fail-{level}", 8, "(yes|no)", min_new_tokens=6)
                self.assertEqual(failed["finish"], "abort")
                self.assertIn("grammar", failed["grammar_stop_reason"])
                self.assertEqual(failed["grammar_stop_position"], bad["meta_info"]["completion_tokens"])
                self.assertGreaterEqual(failed["grammar_stop_position"], 1)

                _, good = run(f"good-{level}", 8, "(yes|no)")
                self.assertEqual(good["finish"], "stop")
                self.assertNotIn("grammar_stop_position", good)

                if level >= 2:
                    self.assertEqual(cut["grammar_stop_text"], out["text"])
                    self.assertEqual(failed["grammar_stop_text"], bad["text"])
                else:
                    self.assertNotIn("grammar_stop_text", cut)
                    self.assertNotIn("grammar_stop_text", failed)
                    self.assertNotIn(out["text"], "".join(server.log))  # no contents in logs
            finally:
                server.stop()


def trace_record(server, rid, timeout=10):
    """The JSON trace record of request `rid` in the server's log, or None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in list(server.log):
            if f'"rid":"{rid}"' in line.replace(" ", "") and "{" in line:
                return json.loads(line[line.index("{"):])
        time.sleep(0.1)
    return None



def chromium_dom(url, screenshot=None):
    """The page's DOM after its scripts ran for a few (virtual) seconds, by headless Chromium."""
    args = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--virtual-time-budget=4000"]
    if screenshot:
        subprocess.run(args + ["--window-size=1200,800", f"--screenshot={screenshot}", url],
                       capture_output=True, timeout=120, check=True)
    return subprocess.run(args + ["--dump-dom", url], capture_output=True, text=True, timeout=120, check=True).stdout


def element_text(dom, element_id):
    m = re.search(r'id="' + element_id + r'"[^>]*>([^<]*)<', dom)
    return m.group(1) if m else None


class StatusPageTest(unittest.TestCase):
    def test_status_page_in_a_browser(self):
        server = Server("--served-model-name", "status-test-model")
        try:
            body = {"text": "A shared prefix for the status page test.", "sampling_params": {"max_new_tokens": 2}}
            server.json("POST", "/generate", body)
            server.json("POST", "/generate", body)
            artifacts = os.path.join(os.getcwd(), "test-artifacts")
            os.makedirs(artifacts, exist_ok=True)
            dom = chromium_dom(f"http://127.0.0.1:{server.port}/", os.path.join(artifacts, "status_page.png"))
            self.assertEqual(element_text(dom, "model"), "status-test-model")
            self.assertGreaterEqual(int(element_text(dom, "requests-total")), 2)
            self.assertRegex(element_text(dom, "hit-rate"), r"^\d+\.\d%$")
            self.assertGreater(float(element_text(dom, "hit-rate")[:-1]), 0)
            self.assertIn("/generate", dom)
            self.assertNotIn("A shared prefix", dom)  # counts, never contents
        finally:
            server.stop()

    def test_status_page_needs_the_key(self):
        server = Server("--api-key", "k3y")
        try:
            server.json("POST", "/generate", {"text": "x", "sampling_params": {"max_new_tokens": 1}},
                        headers={"Authorization": "Bearer k3y"})
            self.assertEqual(server.request("GET", "/server_status")[0], 401)
            dom = chromium_dom(f"http://127.0.0.1:{server.port}/")
            self.assertIn(element_text(dom, "requests-total"), ["\u2013", "&ndash;"])
            self.assertIn("API key", dom)
        finally:
            server.stop()


class DrainTest(unittest.TestCase):
    def test_sigterm_finishes_in_flight_requests_then_exits_0(self):
        server = Server()
        c = server.conn()
        c.request("POST", "/generate", json.dumps({"input_ids": [1, 2, 3], "stream": True, "sampling_params": {
            "max_new_tokens": 40, "ignore_eos": True}}))
        r = c.getresponse()
        first = r.readline()  # the stream is under way
        self.assertTrue(first.startswith(b"data: "))
        server.proc.send_signal(signal.SIGTERM)
        events, done = sse_events(r)
        self.assertTrue(done)
        self.assertEqual(events[-1]["meta_info"]["completion_tokens"], 40)
        self.assertEqual(server.proc.wait(60), 0, "".join(server.log))
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=2)


if __name__ == "__main__":
    SGL = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
