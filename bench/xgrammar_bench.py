#!/usr/bin/env python3
"""xgrammar (PyPI, CPU) on the same work as bench_constrain: compile every JSON Schema of
the trace (cache off, one thread, compact separators "," and ":", strict properties, as SGLang calls
it) and replay each recorded generation token by token, timing fill_next_token_bitmask.
Tokens xgrammar refuses (a grammar difference) end that replay and are counted.
Usage: xgrammar_bench.py TRACE.jsonl TOKENIZER.json [--threads N]"""
import json
import sys
import time

import torch  # noqa: F401  (xgrammar's bitmask is a torch tensor)
import xgrammar as xgr
from transformers import PreTrainedTokenizerFast


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))] if values else 0.0


def main():
    trace, tokenizer_file = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
    tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer_file)
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    info = xgr.TokenizerInfo.from_huggingface(tok, vocab_size=len(tok), stop_token_ids=[eos])
    compiler = xgr.GrammarCompiler(info, max_threads=threads, cache_enabled=False)
    records = [json.loads(line) for line in open(trace)]
    compiled, compile_ms, compile_cpu_ms, failed = {}, [], [], []
    for rec in records:
        path = rec["schema"]
        if path in compiled:
            continue
        text = open(path).read()
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            compiled[path] = compiler.compile_json_schema(text, any_whitespace=False, separators=(",", ":"), strict_mode=True)
            compile_ms.append((time.perf_counter() - t0) * 1000)
            compile_cpu_ms.append((time.thread_time() - c0) * 1000)
        except Exception as e:  # noqa: BLE001
            compiled[path] = None
            failed.append((path, str(e).splitlines()[0]))
    mask_us, refused, steps = [], 0, 0
    bitmask = xgr.allocate_token_bitmask(1, info.vocab_size)
    for rec in records:
        g = compiled[rec["schema"]]
        if g is None:
            continue
        m = xgr.GrammarMatcher(g)
        for t in rec["tokens"]:
            a = time.perf_counter()
            m.fill_next_token_bitmask(bitmask)
            mask_us.append((time.perf_counter() - a) * 1e6)
            steps += 1
            if not m.accept_token(t):
                refused += 1
                break
    print(f"xgrammar {getattr(xgr, '__version__', '?')} threads={threads}")
    print(f"schemas {len(compiled)} compiled {len(compile_ms)} failed {len(failed)}; replays refused {refused}")
    for path, err in failed[:10]:
        print(f"  failed {path}: {err}")
    print(f"compile ms: mean {sum(compile_ms) / max(1, len(compile_ms)):.2f} p50 {pct(compile_ms, 50):.2f} "
          f"p99 {pct(compile_ms, 99):.2f} max {pct(compile_ms, 100):.2f}")
    print(f"compile cpu ms: p50 {pct(compile_cpu_ms, 50):.2f} p99 {pct(compile_cpu_ms, 99):.2f}")
    print(f"mask us over {steps} steps: p50 {pct(mask_us, 50):.2f} p99 {pct(mask_us, 99):.2f} max {pct(mask_us, 100):.2f}")


if __name__ == "__main__":
    main()
