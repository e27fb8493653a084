#!/usr/bin/env python3
"""Black-box tests of `sgl serve` with a vision-language model: the tiny random-weight
GLM-4.1V fixture (tests/fixtures/models/glm4v/hf; its words are meaningless). A three-turn
chat about one image through /v1/chat/completions with the official `openai` client, where
turns 2 and 3 report cached tokens covering the earlier turns including the image;
/generate with image_data; bad images answered 400 naming the problem; the trace
record's image stages; and a server with --disable-local-image-files refusing file paths.
Usage: test_vlm_server.py SGL_BINARY"""
import base64
import json
import os
import struct
import sys
import time
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_server  # noqa: E402  (its Server helper)

ROOT = test_server.ROOT
MODEL = os.path.join(ROOT, "tests", "fixtures", "models", "glm4v", "hf")
IMAGE = os.path.join(ROOT, "tests", "fixtures", "vision", "preprocess", "src_97x61.png")
IMAGE_TOKENS = 12  # the fixture's processor turns the 97x61 picture into a 6x8 patch grid


def data_url(path):
    with open(path, "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode()


def png_header_only(width, height):
    """A PNG signature and IHDR claiming width x height, with no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


def check_three_turn_chat(test, chat, image_url, finish_reason, image_tokens, first_turn_max_cached):
    """A three-turn chat about one image through `chat(messages)` (an openai completion):
    turns 2 and 3 take all of the earlier turns, the image included, from the cache."""
    messages = [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": image_url}},
        {"type": "text", "text": "What is in this picture?"}]}]
    previous = None
    for turn, question in enumerate(["", "Which colors?", "Anything else?"]):
        if question:
            messages.append({"role": "user", "content": question})
        answer = chat(messages)
        usage = answer.usage
        test.assertEqual(answer.choices[0].finish_reason, finish_reason)
        test.assertGreater(usage.prompt_tokens, image_tokens)
        cached = usage.prompt_tokens_details.cached_tokens
        if previous is None:
            test.assertLessEqual(cached, first_turn_max_cached)
        else:
            # All of the previous turn (its prompt with the image, and its answer but
            # the last token, whose KV was never computed) came from the cache.
            test.assertGreaterEqual(cached, previous.prompt_tokens + previous.completion_tokens - 1, f"turn {turn + 1}")
            test.assertLess(cached, usage.prompt_tokens)
        messages.append({"role": "assistant", "content": answer.choices[0].message.content})
        previous = usage


class VlmServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        test_server.MODEL = MODEL
        cls.server = test_server.Server("--max-total-tokens", "4096", "--log-req-id", "--log-format", "json")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def client(self):
        import openai
        return openai.OpenAI(base_url=f"http://127.0.0.1:{self.server.port}/v1", api_key="unused")

    def chat(self, messages):
        # ASCII words, so the answer's text tokenizes back to the same tokens next turn.
        return self.client().chat.completions.create(
            model="default", messages=messages, max_tokens=6, temperature=0, extra_body={"regex": "[a-z]{6}"})

    def test_three_turn_chat_reuses_the_earlier_turns(self):
        self.assertEqual(self.server.request("POST", "/flush_cache")[0], 200)  # other tests sent the image
        check_three_turn_chat(self, self.chat, data_url(IMAGE), finish_reason="length", image_tokens=IMAGE_TOKENS,
                              first_turn_max_cached=4)  # nothing from the image on was cached

    def test_generate_with_image_data(self):
        text = "[gMASK]<sop><|user|>\n<|begin_of_image|><|image|><|end_of_image|>Describe it.<|assistant|>\n"
        body = {"text": text, "image_data": data_url(IMAGE),
                "sampling_params": {"temperature": 0, "max_new_tokens": 4, "ignore_eos": True}}
        status, first = self.server.json("POST", "/generate", body)
        self.assertEqual(status, 200, first)
        status, second = self.server.json("POST", "/generate", body)
        self.assertEqual(status, 200, second)
        self.assertEqual(first["output_ids"], second["output_ids"])
        prompt_tokens = second["meta_info"]["prompt_tokens"]
        specials = ["[gMASK]", "<sop>", "<|user|>", "<|begin_of_image|>", "<|image|>", "<|end_of_image|>", "<|assistant|>"]
        unexpanded = len(text.encode()) - sum(len(t) - 1 for t in specials)  # one token per other byte
        self.assertEqual(prompt_tokens, unexpanded - 1 + IMAGE_TOKENS)
        self.assertEqual(second["meta_info"]["cached_tokens"], prompt_tokens - 1)
        # A list of images for one prompt needs as many placeholders.
        body["image_data"] = [data_url(IMAGE), IMAGE]
        status, error = self.server.json("POST", "/generate", body)
        self.assertEqual(status, 400)
        self.assertIn("placeholder", error["error"]["message"])

    def test_bad_images_are_400_naming_the_problem(self):
        import openai
        cases = {
            "data:image/png;base64,AAAA": "image 0",
            "https://example.com/cat.png": "image 0",
            "data:image/png;base64," + base64.b64encode(png_header_only(100000, 100000)).decode(): "image 0",
            "/nonexistent/picture.png": "image 0",
        }
        for url, expected in cases.items():
            with self.subTest(url=url[:40]):
                with self.assertRaises(openai.BadRequestError) as e:
                    self.chat([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}])
                self.assertIn(expected, str(e.exception))
        # Two image parts and one placeholder each: fine; an image with no part for it cannot happen over chat.
        status, _ = self.server.json("POST", "/generate", {"text": "no placeholder", "image_data": data_url(IMAGE)})
        self.assertEqual(status, 400)

    def test_trace_record_has_the_image_stages(self):
        status, _ = self.server.json("POST", "/v1/chat/completions", {
            "model": "default", "max_tokens": 2, "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": IMAGE}}, {"type": "text", "text": "traced"}]}]},
            headers={"Content-Type": "application/json", "X-Request-Id": "vlm-trace-1"})
        self.assertEqual(status, 200)
        record = None
        for _ in range(100):
            lines = [line for line in self.server.log if '"vlm-trace-1"' in line]
            if lines:
                record = json.loads(lines[-1][lines[-1].index("{"):])
                break
            time.sleep(0.05)
        self.assertIsNotNone(record, "".join(self.server.log[-20:]))
        self.assertEqual(record["images"], 1)
        for key in ["image_preprocess_ms", "vision_encode_ms"]:
            self.assertGreaterEqual(record[key], 0)
        self.assertIn("encoder_cache_hit", record)
        self.assertGreater(record["prompt_tokens"], IMAGE_TOKENS)

    def test_model_info_says_it_understands_images(self):
        status, info = self.server.json("GET", "/get_model_info")
        self.assertEqual(status, 200)
        self.assertTrue(info["has_image_understanding"])


class LocalImageFilesDisabledTest(unittest.TestCase):
    """`--disable-local-image-files`: a file path is a 400 naming the flag, whether or not
    the file exists; data: URLs still work."""

    @classmethod
    def setUpClass(cls):
        test_server.MODEL = MODEL
        cls.server = test_server.Server("--max-total-tokens", "4096", "--disable-local-image-files")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def generate(self, image):
        text = "[gMASK]<sop><|user|>\n<|begin_of_image|><|image|><|end_of_image|>Describe it.<|assistant|>\n"
        return self.server.json("POST", "/generate", {
            "text": text, "image_data": image, "sampling_params": {"temperature": 0, "max_new_tokens": 2}})

    def test_file_paths_are_refused_naming_the_flag(self):
        for image in [IMAGE, "file://" + IMAGE, "/nonexistent/picture.png"]:
            with self.subTest(image=image):
                status, error = self.generate(image)
                self.assertEqual(status, 400, error)
                self.assertIn("--disable-local-image-files", error["error"]["message"])
        status, error = self.server.json("POST", "/v1/chat/completions", {
            "model": "default", "max_tokens": 2, "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": IMAGE}}, {"type": "text", "text": "Hi"}]}]})
        self.assertEqual(status, 400, error)
        self.assertIn("--disable-local-image-files", error["error"]["message"])

    def test_data_urls_still_work(self):
        status, answer = self.generate(data_url(IMAGE))
        self.assertEqual(status, 200, answer)
        self.assertEqual(len(answer["output_ids"]), 2)

    def test_server_info_reports_the_flag(self):
        status, info = self.server.json("GET", "/get_server_info")
        self.assertEqual(status, 200)
        self.assertTrue(info["disable_local_image_files"])


if __name__ == "__main__":
    test_server.SGL = sys.argv.pop(1)
    unittest.main()
