#!/usr/bin/env bash
# Prefill (pp512) and decode (tg128) tokens/s of `sgl bench` and llama.cpp's llama-bench
# on the same GGUF with the same thread count, run back to back, and their ratio.
# Usage: bench/cpu_vs_llamacpp.sh [model.gguf] [threads] [repetitions]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:-$root/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
threads="${2:-$(nproc)}"
reps="${3:-5}"
llama_bench="$(bash "$root/bench/build_llama_cpp.sh")"

ours=$("$root/build/sgl" bench -m "$model" -p 512 -n 128 -t "$threads" -r "$reps" 2>/dev/null)
peer=$("$llama_bench" -m "$model" -p 512 -n 128 -t "$threads" -r "$reps" -o md 2>/dev/null)
echo "$ours"
echo
echo "$peer"
echo
# Pull "t/s" means out of both tables and print the ratios.
pick() { grep -E "\| *$2 " <<< "$1" | grep -oE '[0-9]+\.[0-9]+ ± [0-9]+\.[0-9]+' | head -1 | cut -d' ' -f1; }
for test in pp512 tg128; do
  a=$(pick "$ours" "$test"); b=$(pick "$peer" "$test")
  printf '%s: sgl %s t/s, llama.cpp %s t/s, ratio %.2f\n' "$test" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')"
done
