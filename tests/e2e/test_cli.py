#!/usr/bin/env python3
"""Black-box tests of the `sgl` executable: generation against the transformers reference
of a fixture model, tokenize/detokenize against HF tokenizers' goldens, text streaming
with --prompt, and clear errors (with the documented exit codes) on bad input.
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


def run_exact(*args):
    """Like run, but stdout is decoded without newline translation (keeps "\\r")."""
    r = subprocess.run([SGL, *args], capture_output=True, timeout=300)
    return subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode("utf-8"), r.stderr.decode("utf-8"))


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

    def test_tensor_parallel_greedy_output_matches_reference(self):
        folder, ref = self.fixture("qwen3")
        for tp in ("2", "4"):
            r = run("generate", "--model-path", os.path.join(folder, "model.gguf"), "--input-ids",
                    ",".join(map(str, ref["prompts"][1])), "--max-new-tokens", "32", "--temperature", "0",
                    "--ignore-eos", "--threads", "2", "--device", "cpu", "--tensor-parallel-size", tp)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual([int(t) for t in r.stdout.split()], ref["greedy"][1], "tp " + tp)

    def test_tensor_parallel_size_that_does_not_divide_is_explained(self):
        folder, _ = self.fixture("smollm2")  # 6 attention heads
        r = run("generate", "--model-path", os.path.join(folder, "model.gguf"), "--input-ids", "1,2",
                "--device", "cpu", "--tp-size", "4")
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not divide the 6 attention heads", r.stderr)
        self.assertEqual(run("generate", "--model-path", os.path.join(folder, "model.gguf"), "--input-ids", "1",
                             "--tp-size", "0").returncode, 2)

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

    def test_chat_needs_a_prompt(self):
        folder, _ = self.fixture("llama")
        r = run("generate", "--model-path", os.path.join(folder, "model.gguf"), "--input-ids", "1,2", "--chat")
        self.assertEqual(r.returncode, 2)

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


class TokenizeTest(unittest.TestCase):
    SMOLLM2 = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")

    def golden(self, name):
        with open(os.path.join(ROOT, "tests/fixtures/tokenizers/golden.json"), encoding="utf-8") as f:
            golden = json.load(f)
        return golden["corpus"], golden["tokenizers"][name]

    def test_tokenize_and_detokenize_match_hf_tokenizers(self):
        self.assertTrue(os.path.exists(self.SMOLLM2), "models/ is missing: run scripts/fetch_models.sh")
        corpus, cases = self.golden("smollm2_gguf")
        for text, case in list(zip(corpus, cases))[:8] + [(corpus[13], cases[13])]:
            if not text:
                continue
            r = run("tokenize", "--model-path", self.SMOLLM2, "--text", text, "--add-special-tokens")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout), {"input_ids": case["ids"]}, text)
            ids = ",".join(map(str, case["ids"]))
            r = run_exact("detokenize", "--model-path", self.SMOLLM2, "--ids", ids)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, case["decoded"] + "\n")
            r = run_exact("detokenize", "--model-path", self.SMOLLM2, "--ids", ids, "--skip-special-tokens")
            self.assertEqual(r.stdout, case["decoded_skip_special"] + "\n")

    def test_prompt_streams_the_text_of_the_generated_ids(self):
        model = os.path.join(ROOT, "tests/fixtures/models/smollm2/model.gguf")
        prompt = "The capital of France is"
        r = run("tokenize", "--model-path", model, "--text", prompt, "--add-special-tokens")
        self.assertEqual(r.returncode, 0, r.stderr)
        prompt_ids = json.loads(r.stdout)["input_ids"]
        common = ["--model-path", model, "--max-new-tokens", "24", "--temperature", "0", "--ignore-eos",
                  "--threads", "2"]
        by_ids = run("generate", "--input-ids", ",".join(map(str, prompt_ids)), *common)
        self.assertEqual(by_ids.returncode, 0, by_ids.stderr)
        out_ids = by_ids.stdout.split()
        self.assertEqual(len(out_ids), 24)
        expected = run("detokenize", "--model-path", model, "--ids", ",".join(out_ids), "--skip-special-tokens")
        by_text = run("generate", "--prompt", prompt, *common)
        self.assertEqual(by_text.returncode, 0, by_text.stderr)
        self.assertEqual(by_text.stdout, expected.stdout)
        self.assertRegex(by_text.stderr, r"prefill: %d tokens" % len(prompt_ids))

    def test_bad_ids_are_rejected(self):
        model = os.path.join(ROOT, "tests/fixtures/models/smollm2/model.gguf")
        self.assertEqual(run("detokenize", "--model-path", model, "--ids", "1,x").returncode, 2)
        r = run("detokenize", "--model-path", model, "--ids", "1,99999999")
        self.assertEqual(r.returncode, 1)
        self.assertIn("outside the vocabulary", r.stderr)


if __name__ == "__main__":
    SGL = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
