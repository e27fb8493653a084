#!/usr/bin/env python3
"""Writes small tokenizer.json seeds (one per model type, covering the normalizers,
pre-tokenizers, post-processors and decoders) for tests/fuzz/tokenizer_json_fuzzer.cc.
  python3 tests/fuzz/make_tokenizer_json_seeds.py"""
import json, os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "tokenizer_json")
chars = list("abcdefghijklmnopqrstuvwxyz ") + ["\u2581", "##a", "##b", "[UNK]", "<unk>", "<s>", "</s>"]


def write(name, model, normalizer=None, pre=None, post=None, decoder=None, added=()):
    doc = {"version": "1.0", "added_tokens": list(added), "normalizer": normalizer, "pre_tokenizer": pre,
           "post_processor": post, "decoder": decoder, "model": model}
    with open(os.path.join(HERE, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))


vocab = {c: i for i, c in enumerate(chars)}
special = [{"id": vocab["<s>"], "content": "<s>", "single_word": False, "lstrip": False, "rstrip": True,
            "normalized": False, "special": True}]
template = {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                                      {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "</s>", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [vocab["<s>"]], "tokens": ["<s>"]},
                               "</s>": {"id": "</s>", "ids": [vocab["</s>"]], "tokens": ["</s>"]}}}
write("bpe", {"type": "BPE", "vocab": dict(vocab, ab=len(vocab)), "merges": ["a b"], "byte_fallback": True,
              "unk_token": "<unk>", "fuse_unk": True, "continuing_subword_prefix": None, "end_of_word_suffix": None},
      normalizer={"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"},
                                                      {"type": "Replace", "pattern": {"Regex": " +"}, "content": " "}]},
      pre={"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\p{L}+|\\d"},
                                                  "behavior": "Isolated", "invert": False},
                                                 {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}]},
      post=template, decoder={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
      added=special)
write("wordpiece", {"type": "WordPiece", "vocab": vocab, "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                    "max_input_chars_per_word": 5},
      normalizer={"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None,
                  "lowercase": True},
      pre={"type": "BertPreTokenizer"},
      post={"type": "BertProcessing", "sep": ["</s>", vocab["</s>"]], "cls": ["<s>", vocab["<s>"]]},
      decoder={"type": "WordPiece", "prefix": "##", "cleanup": True})
write("unigram", {"type": "Unigram", "unk_id": vocab["<unk>"], "byte_fallback": True,
                  "vocab": [[c, -1.0 - i / 10] for i, c in enumerate(chars)] + [["<0x41>", -20.0]]},
      normalizer={"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"},
                                                      {"type": "Strip", "strip_left": True, "strip_right": True}]},
      pre={"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
                                                 {"type": "Punctuation", "behavior": "Contiguous"},
                                                 {"type": "Metaspace", "replacement": "\u2581",
                                                  "prepend_scheme": "first", "split": True}]},
      post={"type": "RobertaProcessing", "sep": ["</s>", vocab["</s>"]], "cls": ["<s>", vocab["<s>"]],
            "trim_offsets": True, "add_prefix_space": True},
      decoder={"type": "Sequence", "decoders": [{"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first",
                                                  "split": True}, {"type": "ByteFallback"}, {"type": "Fuse"},
                                                 {"type": "Strip", "content": " ", "start": 1, "stop": 0}]})
write("word_level", {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"},
      normalizer={"type": "NFKD"},
      pre={"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Whitespace"},
                                                 {"type": "CharDelimiterSplit", "delimiter": "x"}]},
      decoder={"type": "CTC", "pad_token": "<unk>", "word_delimiter_token": "|", "cleanup": True})
write("precompiled", {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0], ["\u2581", -2.0]]},
      normalizer={"type": "Precompiled", "precompiled_charsmap": "CAAAAAACAACBAAAAYQA="},
      pre={"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": False},
      decoder={"type": "BPEDecoder", "suffix": "</w>"})
