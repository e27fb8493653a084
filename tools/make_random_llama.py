#!/usr/bin/env python3
"""Writes a random-weight Hugging Face Llama folder, for GPU checks and benchmarks on
machines where real checkpoints cannot be brought. --shape smollm2 (default): the default
model's shapes (SmolLM2-135M-Instruct: 30 layers, hidden 576, 9 q / 3 kv heads, vocab
49152, tied embeddings); --shape llama8b: Llama-3.1-8B's (32 layers, hidden 4096, 32 q /
8 kv heads, MLP 14336, vocab 128256; made on the GPU when there is one).

    python3 tools/make_random_llama.py OUT_DIR [--std S] [--shape smollm2|llama8b]

Weights are bf16 (both backends then read identical numbers), drawn N(0, std) with a
fixed seed; the tokenizer files are the smollm2 fixture's (only token ids are used)."""
import argparse, os, shutil

import torch
from transformers import LlamaConfig, LlamaForCausalLM

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--std", type=float, default=0.05)
p.add_argument("--shape", choices=["smollm2", "llama8b"], default="smollm2")
args = p.parse_args()

torch.manual_seed(0)
if args.shape == "smollm2":
    cfg = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                      num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192,
                      rope_theta=100000.0, rms_norm_eps=1e-5, tie_word_embeddings=True, bos_token_id=1,
                      eos_token_id=2, initializer_range=args.std)
    model = LlamaForCausalLM(cfg).to(torch.bfloat16)
else:
    cfg = LlamaConfig(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=8192,
                      rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=False, bos_token_id=1,
                      eos_token_id=2)
    with torch.device("meta"):
        model = LlamaForCausalLM(cfg)
    model = model.to_empty(device="cuda" if torch.cuda.is_available() else "cpu").to(torch.bfloat16)
    with torch.no_grad():
        for name, w in model.named_parameters():
            if "norm" in name:
                w.fill_(1.0)
            else:
                w.normal_(0, 0.02)
model.save_pretrained(args.out, safe_serialization=True)
fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "models", "smollm2", "hf")
for name in ("tokenizer.json", "tokenizer_config.json"):
    shutil.copy(os.path.join(fixture, name), args.out)
print(f"wrote {args.out}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters")
