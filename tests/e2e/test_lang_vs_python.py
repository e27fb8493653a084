#!/usr/bin/env python3
"""The C++ frontend language builds exactly what SGLang's own Python frontend builds: the
same programs (tests/e2e/lang_programs.cc) run by the `sglang` package (frontend only,
RuntimeEndpoint) against `sgl serve`, and by the C++ HttpBackend against the same server
and by the C++ EngineBackend in process; every state's text and variables must be equal
byte for byte (greedy decoding). With --regex, also a regex-constrained program (needs the
engine's grammar integration).
Usage: test_lang_vs_python.py SGL_BINARY LANG_PROGRAMS_BINARY SGLANG_FRONTEND_DIR [--regex]"""
import faulthandler
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_server  # noqa: E402  (the Server helper)

LANG_PROGRAMS = None
WITH_REGEX = False


def describe(state, streamed=None):
    out = {"text": state.text(), "vars": dict(state.stream_executor.variables),
           "error": "" if state.error() is None else str(state.error()), "messages": len(state.messages())}
    if streamed is not None:
        out["streamed"] = streamed
    return out


def python_programs(sgl):
    @sgl.function
    def capital(s):
        s += "The capital of France is" + sgl.gen("city", max_tokens=16, temperature=0, stop=".")

    @sgl.function
    def chat(s, question):
        s += sgl.system("You are a helpful assistant.")
        s += sgl.user(question)
        s += sgl.assistant(sgl.gen("answer", max_tokens=12, temperature=0))
        s += sgl.user("And why?")
        s += sgl.assistant(sgl.gen("why", max_tokens=12, temperature=0))

    @sgl.function
    def colors(s):
        s += "Here are two colors."
        forks = s.fork(2)
        for i, f in enumerate(forks):
            f += f" Color number {i + 1}:" + sgl.gen("color", max_tokens=3, temperature=0)
        s += " First:" + forks[0]["color"] + " Second:" + forks[1]["color"]
        forks.join()

    @sgl.function
    def yes_no(s, question):
        s += "Q: " + question + "\nA:" + sgl.select("answer", choices=["yes", "no", "maybe"])

    @sgl.function
    def complete(s, word):
        s += f"The opposite of {word} is" + sgl.gen("opposite", max_tokens=4, temperature=0)

    @sgl.function
    def extract(s):
        s += "Casablanca (1942) was directed by Michael Curtiz.\n"
        s += "Year: " + sgl.gen("year", max_tokens=8, temperature=0, regex="(19|20)[0-9]{2}") + "\n"
        s += "Director: " + sgl.gen("director", max_tokens=12, temperature=0, regex="[A-Z][a-z]+ [A-Z][a-z]+")

    out = {
        "capital": describe(capital.run()),
        "chat": describe(chat.run(question="What is 2 + 2?")),
        "fork": describe(colors.run()),
        "select": describe(yes_no.run(question="Is the sky blue on a clear day?")),
        "select2": describe(yes_no.run(question="Can a fish climb a tree?")),
        "batch": [describe(st) for st in complete.run_batch([{"word": w} for w in ["hot", "up", "big"]], num_threads=3)],
    }
    state = chat.run(question="Tell me a short joke.", stream=True)
    streamed = "".join(state.text_iter())
    out["stream"] = describe(state, streamed)
    if WITH_REGEX:
        out["regex"] = describe(extract.run())
    return out


def run_programs(*args):
    done = subprocess.run([LANG_PROGRAMS, *args], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"lang_programs {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout)


class LangVsPythonTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = test_server.Server()
        try:
            url = f"http://127.0.0.1:{cls.server.port}"
            sgl.set_default_backend(sgl.RuntimeEndpoint(url))
            cls.python = python_programs(sgl)
            extra = ["--regex"] if WITH_REGEX else []
            cls.cpp_http = run_programs("--url", url, *extra)
            cls.cpp_engine = run_programs("--engine", test_server.MODEL, *extra)
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def check(self, name):
        py = self.python[name]
        self.assertTrue(py, name)
        for label, cpp in (("http", self.cpp_http[name]), ("engine", self.cpp_engine[name])):
            with self.subTest(backend=label):
                self.assertEqual(cpp, py, f"{name} over {label}")

    def test_gen_with_stop(self):
        self.check("capital")
        self.assertNotIn(".", self.python["capital"]["vars"]["city"])

    def test_multi_turn_roles(self):
        self.check("chat")
        self.assertTrue(self.python["chat"]["text"].startswith("SYSTEM:You are a helpful assistant.\nUSER:"))
        self.assertEqual(self.python["chat"]["messages"], 5)

    def test_fork_and_join(self):
        self.check("fork")
        self.assertEqual(len(self.python["fork"]["vars"]["color"]), 2)

    def test_select(self):
        self.check("select")
        self.check("select2")
        for name in ("select", "select2"):
            self.assertIn(self.python[name]["vars"]["answer"], ["yes", "no", "maybe"])

    def test_run_batch(self):
        self.check("batch")
        self.assertEqual(len(self.python["batch"]), 3)

    def test_streaming(self):
        self.check("stream")
        self.assertEqual(self.python["stream"]["streamed"], self.python["stream"]["text"])

    def test_regex(self):  # only with --regex (removed otherwise, below)
        self.check("regex")


if __name__ == "__main__":
    faulthandler.dump_traceback_later(1200, exit=True)  # a hang fails with every thread's stack
    if "--regex" in sys.argv:
        sys.argv.remove("--regex")
        WITH_REGEX = True
    else:
        del LangVsPythonTest.test_regex
    test_server.SGL = os.path.abspath(sys.argv.pop(1))
    LANG_PROGRAMS = os.path.abspath(sys.argv.pop(1))
    sys.path.insert(0, sys.argv.pop(1))
    import sglang as sgl  # noqa: E402
    unittest.main(verbosity=2)
