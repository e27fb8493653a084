#!/usr/bin/env python3
"""The peer for `sgl bench offline` on a GPU: Hugging Face transformers generating from a
model folder (e.g. the random Llama-3.1-8B-shaped one of tools/make_random_llama.py),
greedy, EOS ignored, on batches of random prompts of exactly INPUT tokens, each to exactly
OUTPUT new tokens. Prints output tokens/s over the timed batches (after one warm-up batch).

    python3 bench/hf_offline_throughput.py MODEL_DIR INPUT OUTPUT [--batch B] [--batches N]"""
import argparse, time

import torch
from transformers import AutoModelForCausalLM

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("input", type=int)
p.add_argument("output", type=int)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--batches", type=int, default=2)
a = p.parse_args()

model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.bfloat16, device_map="cuda").eval()
vocab = model.config.vocab_size
torch.manual_seed(0)


def batch():
    ids = torch.randint(0, vocab, (a.batch, a.input), device="cuda")
    model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=a.output, min_new_tokens=a.output,
                   do_sample=False, pad_token_id=0)


with torch.inference_mode():
    batch()  # warm-up
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(a.batches):
        batch()
    torch.cuda.synchronize()
    dt = time.perf_counter() - t
n = a.batch * a.batches
print(f"hf eager in{a.input}/out{a.output} batch {a.batch}: {n * a.output / dt:.1f} out tok/s, "
      f"{n * (a.input + a.output) / dt:.1f} total tok/s ({n} prompts, {dt:.1f} s)")
