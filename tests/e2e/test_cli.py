#!/usr/bin/env python3
"""Black-box tests of the `sgl` executable: generation against the transformers reference
of a fixture model, and clear errors (with the documented exit codes) on bad input.
Usage: test_cli.py SGL_BINARY   (stdlib only)"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SGL = None


def run(*args):
    return subprocess.run([SGL, *args], capture_output=True, text=True, timeout=300)


class GenerateTest(unittest.TestCase):
    def fixture(self, arch):
        folder = os.path.join(ROOT, "tests/fixtures/models", arch)
        with open(os.path.join(folder, "reference.json")) as f:
            return folder, json.load(f)

    def test_greedy_output_matches_reference(self):
        for arch, file in [("llama", "model.gguf"), ("qwen2", "hf")]:
            folder, ref = self.fixture(arch)
            prompt = ref["prompts"][1]
            r = run("generate", "--model-path", os.path.join(folder, file), "--input-ids",
                    ",".join(map(str, prompt)), "--max-new-tokens", "32", "--temperature", "0",
                    "--ignore-eos", "--threads", "2")
            self.assertEqual(r.returncode, 0, r.stderr)
            ids = [int(t) for t in r.stdout.split()]
            self.assertEqual(ids, ref["greedy"][1], arch)
            self.assertRegex(r.stderr, r"prefill: \d+ tokens, [\d.]+ tok/s \| decode: 32 tokens, [\d.]+ tok/s")

    def test_seeded_sampling_is_reproducible(self):
        folder, ref = self.fixture("smollm2")
        args = ["generate", "--model-path", os.path.join(folder, "model.gguf"), "--input-ids", "5,6,7",
                "--max-new-tokens", "16", "--temperature", "1.0", "--top-p", "0.9", "--seed", "3", "--ignore-eos"]
        a, b = run(*args), run(*args)
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        self.assertEqual(len(a.stdout.split()), 16)

    def test_penalties_change_greedy_output(self):
        folder, ref = self.fixture("llama")
        base = ["generate", "--model-path", os.path.join(folder, "model.gguf"), "--input-ids",
                ",".join(map(str, ref["prompts"][0])), "--max-new-tokens", "32", "--temperature", "0", "--ignore-eos"]
        plain = run(*base)
        self.assertEqual([int(t) for t in plain.stdout.split()], ref["greedy"][0])
        for flag in ("--repetition-penalty", "--frequency-penalty", "--presence-penalty"):
            penalized = run(*base, flag, "1.9")
            self.assertEqual(penalized.returncode, 0, penalized.stderr)
            self.assertNotEqual(penalized.stdout, plain.stdout, flag + " was ignored")
        self.assertEqual(run(*base, "--min-new-tokens", "40").returncode, 2)

    def test_missing_model_names_the_file(self):
        r = run("generate", "--model-path", "/nonexistent/model.gguf", "--input-ids", "1,2")
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent/model.gguf", r.stderr)

    def test_malformed_gguf_is_an_error_not_a_crash(self):
        with tempfile.NamedTemporaryFile(suffix=".gguf", delete=False) as f:
            f.write(b"GGUF\x03\x00\x00\x00" + b"\xff" * 40)
        try:
            r = run("generate", "--model-path", f.name, "--input-ids", "1,2")
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(os.path.basename(f.name), r.stderr)
        finally:
            os.unlink(f.name)

    def test_bad_flags_exit_2(self):
        folder, _ = self.fixture("llama")
        model = os.path.join(folder, "model.gguf")
        self.assertEqual(run("generate", "--model-path", model, "--input-ids", "1,x").returncode, 2)
        self.assertEqual(run("generate", "--model-path", model, "--input-ids", "1", "--top-p", "0").returncode, 2)
        self.assertEqual(run("generate", "--model-path", model, "--input-ids", "1", "--top-k", "0").returncode, 2)
        self.assertEqual(run("generate", "--model-path", model).returncode, 2)
        self.assertEqual(run("no-such-command").returncode, 2)

    def test_token_outside_vocabulary_is_rejected(self):
        folder, _ = self.fixture("llama")
        r = run("generate", "--model-path", os.path.join(folder, "model.gguf"), "--input-ids", "1,999999")
        self.assertEqual(r.returncode, 1)
        self.assertIn("outside the vocabulary", r.stderr)


if __name__ == "__main__":
    SGL = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
