#!/usr/bin/env python3
"""SGLang's own Python frontend (the `sglang` package, frontend only) runs its programs
unchanged against `sgl serve` through RuntimeEndpoint: gen with stop strings, multi-turn
roles, fork and join, select (by prompt logprobs), run_batch, and constrained gen
(regex, dtype).
Usage: test_sglang_frontend.py SGL_BINARY SGLANG_FRONTEND_DIR"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_server  # noqa: E402  (the Server helper)


class FrontendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = test_server.Server()
        sgl.set_default_backend(sgl.RuntimeEndpoint(f"http://127.0.0.1:{cls.server.port}"))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_gen_with_stop(self):
        @sgl.function
        def capital(s):
            s += "The capital of France is" + sgl.gen("city", max_tokens=16, temperature=0, stop=".")

        state = capital.run()
        self.assertTrue(state["city"].strip())
        self.assertNotIn(".", state["city"])
        self.assertTrue(state.text().startswith("The capital of France is"))

    def test_roles(self):
        @sgl.function
        def chat(s, question):
            s += sgl.system("You are a helpful assistant.")
            s += sgl.user(question)
            s += sgl.assistant(sgl.gen("answer", max_tokens=12, temperature=0))
            s += sgl.user("And why?")
            s += sgl.assistant(sgl.gen("why", max_tokens=12, temperature=0))

        state = chat.run(question="What is 2 + 2?")
        self.assertTrue(state["answer"])
        self.assertTrue(state["why"])
        self.assertEqual(len(state.messages()), 5)

    def test_fork_and_join(self):
        @sgl.function
        def colors(s):
            s += "Here are two colors."
            forks = s.fork(2)
            for i, f in enumerate(forks):
                f += f" Color number {i + 1}:" + sgl.gen("color", max_tokens=3, temperature=0)
            s += " First:" + forks[0]["color"] + " Second:" + forks[1]["color"]

        state = colors.run()
        self.assertIn(" First:", state.text())

    def test_select(self):
        @sgl.function
        def yes_no(s):
            s += "Q: Is the sky blue on a clear day?\nA:" + sgl.select("answer", choices=["yes", "no", "maybe"])

        self.assertIn(yes_no.run()["answer"], ["yes", "no", "maybe"])

    def test_run_batch(self):
        @sgl.function
        def complete(s, word):
            s += f"The opposite of {word} is" + sgl.gen("opposite", max_tokens=4, temperature=0)

        states = complete.run_batch([{"word": w} for w in ["hot", "up", "big"]])
        self.assertEqual(len(states), 3)
        self.assertTrue(all(st["opposite"] for st in states))

    def test_gen_with_regex_and_dtype(self):
        @sgl.function
        def contact(s):
            s += "Name: Ada Lovelace\nPhone:" + sgl.gen("phone", max_tokens=16, temperature=0,
                                                       regex=r" \(\d{3}\) \d{3}-\d{4}")
            s += "\nAge:" + sgl.gen("age", max_tokens=8, temperature=0, dtype=int)

        state = contact.run()
        self.assertRegex(state["phone"], r"^ \(\d{3}\) \d{3}-\d{4}$")
        self.assertRegex(state["age"], r"^[-+]?\d+[ \n]*$")  # the frontend's REGEX_INT


if __name__ == "__main__":
    test_server.SGL = os.path.abspath(sys.argv.pop(1))
    sys.path.insert(0, sys.argv.pop(1))
    import sglang as sgl  # noqa: E402
    unittest.main(verbosity=2)
