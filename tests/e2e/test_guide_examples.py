#!/usr/bin/env python3
"""The deployment guides' example programs, each written twice (C++ frontend language in
examples/, SGLang's Python frontend in examples/python/), run against a real `sgl serve`:
every regex-constrained output matches its pattern and parses as JSON, both versions
produce the same results (greedy decoding), and the later turns of a conversation report
cached tokens covering its first turn (with --images: the image included).
Text-only: the default model (SmolLM2). --images: the tiny random-weight GLM-4.1V
fixture with a fixture image (its words are meaningless; the checks above still hold).
Usage: test_guide_examples.py SGL_BINARY EXAMPLES_BIN_DIR SGLANG_FRONTEND_DIR [--images]"""
import faulthandler
import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_server  # noqa: E402  (the Server helper)

ROOT = test_server.ROOT
PYTHON_EXAMPLES = os.path.join(ROOT, "examples", "python")
GLM4V = os.path.join(ROOT, "tests", "fixtures", "models", "glm4v", "hf")
IMAGE = os.path.join(ROOT, "tests", "fixtures", "vision", "preprocess", "src_97x61.png")
EXAMPLES = ["image_analysis", "multi_step_workflow", "product_pipeline"]
# Each example's gens in conversation order (the first is the first turn about the image).
TURNS = {"image_analysis": ["analysis"], "multi_step_workflow": ["description", "facts", "caption"],
         "product_pipeline": ["product_info", "marketing_copy", "comparison"]}
EXAMPLES_BIN = FRONTEND = None


def run_json(command, env=None):
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_python(name, url, image):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([FRONTEND, PYTHON_EXAMPLES]))
    extra = ["--image", image] if image else []
    return run_json([sys.executable, os.path.join(PYTHON_EXAMPLES, name + ".py"), "--url", url, *extra], env)


def run_cpp(name, url, image):
    extra = ["--image", image] if image else []
    return run_json([os.path.join(EXAMPLES_BIN, "example_" + name), "--url", url, *extra])


class GuideExamples:
    """The checks, over a server started by a subclass (model, image)."""
    model = None
    image = None

    @classmethod
    def setUpClass(cls):
        cls.server = test_server.Server(model=cls.model)
        try:
            url = f"http://127.0.0.1:{cls.server.port}"
            cls.out = {}
            for name in EXAMPLES:
                cls.out[name] = {"python": run_python(name, url, cls.image), "cpp": run_cpp(name, url, cls.image)}
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def each(self):
        for name in EXAMPLES:
            for lang, out in self.out[name].items():
                with self.subTest(example=name, lang=lang):
                    yield name, lang, out

    def test_programs_succeed(self):
        for name, _, out in self.each():
            self.assertEqual(out["error"], "")
            self.assertEqual(sorted(out["meta"]), sorted(TURNS[name]))
            for gen in TURNS[name]:
                self.assertIn(gen, out["results"])

    def test_constrained_outputs_match_and_parse_as_json(self):
        for name, _, out in self.each():
            self.assertTrue(out["patterns"])
            for gen, pattern in out["patterns"].items():
                text = out["results"][gen]
                self.assertRegex(text, "^(?:" + pattern + ")$")
                self.assertIsInstance(json.loads(text), dict)

    def test_python_and_cpp_agree(self):
        for name in EXAMPLES:
            with self.subTest(example=name):
                py, cpp = self.out[name]["python"], self.out[name]["cpp"]
                self.assertEqual(cpp["patterns"], py["patterns"])
                self.assertEqual(cpp["results"], py["results"])

    def test_later_turns_reuse_the_first(self):
        for name, _, out in self.each():
            turns = TURNS[name]
            first = out["meta"][turns[0]]
            for gen in turns[1:]:
                self.assertGreaterEqual(out["meta"][gen]["cached_tokens"], first["prompt_tokens"], gen)

    def test_product_pipeline_reads_the_category_from_its_json(self):
        for name, _, out in self.each():
            if name == "product_pipeline":
                r = out["results"]
                self.assertEqual(r["category"], json.loads(r["product_info"])["category"])


class TextOnlyTest(GuideExamples, unittest.TestCase):
    pass


class ImageTest(GuideExamples, unittest.TestCase):
    model = GLM4V
    image = IMAGE


if __name__ == "__main__":
    faulthandler.dump_traceback_later(1800, exit=True)
    with_images = "--images" in sys.argv
    if with_images:
        sys.argv.remove("--images")
        del TextOnlyTest
    else:
        del ImageTest
    test_server.SGL = os.path.abspath(sys.argv.pop(1))
    EXAMPLES_BIN = os.path.abspath(sys.argv.pop(1))
    FRONTEND = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
