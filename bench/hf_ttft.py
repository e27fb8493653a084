#!/usr/bin/env python3
"""The TTFT peer for bench_cuda_decode's prefill figure: Hugging Face transformers (SDPA
attention, bf16) running one forward pass over a prompt of exactly TOKENS random tokens
from an empty cache, up to the last token's logits on the host. Prints the median of 3
after a warm-up, in ms.

    python3 bench/hf_ttft.py MODEL_DIR [TOKENS]"""
import statistics
import sys
import time

import torch
from transformers import AutoModelForCausalLM

model_dir = sys.argv[1]
tokens = int(sys.argv[2]) if len(sys.argv) > 2 else 2048
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16, device_map="cuda",
                                             attn_implementation="sdpa").eval()
torch.manual_seed(0)
ids = torch.randint(0, model.config.vocab_size, (1, tokens), device="cuda")
times = []
with torch.inference_mode():
    for rep in range(4):
        torch.cuda.synchronize()
        t = time.perf_counter()
        logits = model(ids, logits_to_keep=1).logits[0, -1].float().cpu()
        if rep > 0:
            times.append(time.perf_counter() - t)
print(f"transformers sdpa prefill {tokens} tokens: {statistics.median(times) * 1e3:.2f} ms")
