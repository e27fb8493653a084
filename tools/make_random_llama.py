#!/usr/bin/env python3
"""Writes a random-weight Hugging Face Llama folder with the shapes of the default model
(SmolLM2-135M-Instruct: 30 layers, hidden 576, 9 q / 3 kv heads, vocab 49152, tied
embeddings), for GPU checks on machines where the real GGUF cannot be brought.

    python3 tools/make_random_llama.py OUT_DIR [--std S]

Weights are bf16 (both backends then read identical numbers), drawn N(0, std) with a
fixed seed; the tokenizer files are the smollm2 fixture's (only token ids are used)."""
import argparse, os, shutil

import torch
from transformers import LlamaConfig, LlamaForCausalLM

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--std", type=float, default=0.05)
args = p.parse_args()

cfg = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                  num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192,
                  rope_theta=100000.0, rms_norm_eps=1e-5, tie_word_embeddings=True, bos_token_id=1,
                  eos_token_id=2, initializer_range=args.std)
torch.manual_seed(0)
model = LlamaForCausalLM(cfg).to(torch.bfloat16)
model.save_pretrained(args.out, safe_serialization=True)
fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "models", "smollm2", "hf")
for name in ("tokenizer.json", "tokenizer_config.json"):
    shutil.copy(os.path.join(fixture, name), args.out)
print(f"wrote {args.out}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters")
