#!/usr/bin/env python3
"""Prefill (pp512) and decode (tg128) tokens/s of `sgl bench` against llama.cpp's
llama-bench on the same GGUF with the same thread count. The two run in alternating
rounds (A B A B ...) so that drift of a shared machine hits both alike; each round's
result is the mean of `--reps` repetitions, and the report gives the median over rounds
and the ratio sgl / llama.cpp.

Usage: bench/cpu_vs_llamacpp.py [--model M] [--threads T] [--rounds R] [--reps N]
llama-bench is built outside the repository by bench/build_llama_cpp.sh."""
import argparse
import os
import re
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_table(text):
    """{'pp512': t/s, 'tg128': t/s} from a markdown table with 'ppN'/'tgN' rows."""
    out = {}
    for line in text.splitlines():
        m = re.search(r"\|\s*((?:pp|tg)\d+)\s*\|\s*([\d.]+) ± [\d.]+\s*\|\s*$", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    llama_bench = subprocess.run(["bash", os.path.join(ROOT, "bench/build_llama_cpp.sh")], check=True,
                                 capture_output=True, text=True).stdout.strip()
    common = ["-m", args.model, "-p", "512", "-n", "128", "-t", str(args.threads), "-r", str(args.reps)]
    commands = {"sgl": [os.path.join(ROOT, "build/sgl"), "bench", *common],
                "llama.cpp": [llama_bench, *common, "-o", "md"]}
    results = {name: {"pp512": [], "tg128": []} for name in commands}
    for round_index in range(args.rounds):
        for name, cmd in commands.items():
            table = parse_table(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            for test in ("pp512", "tg128"):
                results[name][test].append(table[test])
        print(f"round {round_index + 1}: " + ", ".join(
            f"{n} pp512 {r['pp512'][-1]:.1f} tg128 {r['tg128'][-1]:.1f}" for n, r in results.items()), flush=True)
    print(f"\nmodel {os.path.basename(args.model)}, {args.threads} threads, {args.rounds} rounds x {args.reps} reps")
    print("| test | sgl t/s (median) | llama.cpp t/s (median) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for test in ("pp512", "tg128"):
        a = statistics.median(results["sgl"][test])
        b = statistics.median(results["llama.cpp"][test])
        print(f"| {test} | {a:.1f} | {b:.1f} | {a / b:.2f} |")


if __name__ == "__main__":
    main()
