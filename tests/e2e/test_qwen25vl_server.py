#!/usr/bin/env python3
"""Black-box tests of `sgl serve` on the tiny random-weight Qwen2.5-VL fixture
(tests/fixtures/models/qwen25vl/hf; its words are meaningless): the chat template renders an
image part as HF's Qwen2.5-VL template does (the chat's prompt has the reference prompt's
length and continues as transformers' greedy tokens do), and a three-turn chat about one
image through /v1/chat/completions with the official `openai` client, where turns 2 and 3
report cached tokens covering the earlier turns including the image.
Usage: test_qwen25vl_server.py SGL_BINARY"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_server  # noqa: E402  (its Server helper)
from test_vlm_server import check_three_turn_chat, data_url  # noqa: E402

ROOT = test_server.ROOT
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "models", "qwen25vl")
IMAGES = os.path.join(ROOT, "tests", "fixtures", "vision", "preprocess")


def reference_case():
    """The reference's one-image chat: messages, HF's rendered prompt, input ids, greedy ids."""
    with open(os.path.join(FIXTURE, "reference.json")) as f:
        cases = json.load(f)["cases"]
    case = next(c for c in cases if len(c["images"]) == 1)
    return case


class Qwen25VlServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = test_server.Server("--max-total-tokens", "4096", model=os.path.join(FIXTURE, "hf"))
        cls.case = reference_case()
        cls.image = os.path.join(IMAGES, cls.case["images"][0])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def client(self):
        import openai
        return openai.OpenAI(base_url=f"http://127.0.0.1:{self.server.port}/v1", api_key="unused")

    def openai_messages(self):
        """The reference's messages with its image as an image_url part."""
        messages = []
        for m in self.case["messages"]:
            content = m["content"]
            if isinstance(content, list):
                content = [{"type": "image_url", "image_url": {"url": data_url(self.image)}} if p["type"] == "image"
                           else p for p in content]
            messages.append({"role": m["role"], "content": content})
        return messages

    def test_chat_template_renders_image_parts_as_transformers(self):
        greedy = self.case["greedy"]
        sampling = {"temperature": 0, "max_new_tokens": len(greedy), "ignore_eos": True}
        # HF's rendering of the messages, through /generate: transformers' greedy tokens.
        status, rendered = self.server.json("POST", "/generate", {
            "text": self.case["prompt_text"], "image_data": data_url(self.image), "sampling_params": sampling})
        self.assertEqual(status, 200, rendered)
        self.assertEqual(rendered["output_ids"], greedy)
        self.assertEqual(rendered["meta_info"]["prompt_tokens"], len(self.case["input_ids"]))
        # The same messages through our chat template: the same prompt, so the same answer.
        answer = self.client().chat.completions.create(
            model="default", messages=self.openai_messages(), max_tokens=len(greedy), temperature=0,
            extra_body={"ignore_eos": True})
        self.assertEqual(answer.usage.prompt_tokens, len(self.case["input_ids"]))
        self.assertEqual(answer.usage.completion_tokens, len(greedy))
        self.assertEqual(answer.choices[0].message.content, rendered["text"])

    def test_three_turn_chat_reuses_the_earlier_turns(self):
        self.assertEqual(self.server.request("POST", "/flush_cache")[0], 200)  # other tests sent the image
        # A short lower-case word, ended by the grammar: plain text for the next turn's template.
        def chat(messages):
            return self.client().chat.completions.create(
                model="default", messages=messages, max_tokens=8, temperature=0, extra_body={"regex": "[a-z]{4}"})
        check_three_turn_chat(self, chat, data_url(self.image), finish_reason="stop",
                              image_tokens=24,  # the 8x12 patch grid merges to 24 image tokens
                              first_turn_max_cached=0)  # the cache was flushed


if __name__ == "__main__":
    test_server.SGL = sys.argv.pop(1)
    unittest.main()
