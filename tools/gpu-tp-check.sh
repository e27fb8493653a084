#!/usr/bin/env bash
# gpu-tp-check.sh: tensor parallelism on a machine with 2+ GPUs (nvidia-h200-x2), in one
# command: the CUDA tensor-parallel tests (TP=2 logits and greedy output vs TP=1 on every
# fixture model), the CPU tensor-parallel tests, then `sgl bench` decode (batch 1) and
# prefill tokens/s at TP=1 and TP=2, and `sgl bench offline` throughput (in-process
# engine, 256 requests) at TP=1 and TP=2, then a short table.
#
#   tools/gpu-tp-check.sh [BUILD_DIR]     BUILD_DIR: a CUDA + NCCL build (default: build)
# Environment: MODEL=path (default models/gemma-3-270m-q4_k_m.gguf: the default SmolLM2's
# 9 heads do not split over 2 GPUs), OUT=folder for the logs (default /tmp/gpu-tp-check),
# NCCL_DEBUG=WARN is set unless given.
set -uo pipefail
BUILD=$(cd "${1:-build}" && pwd)
OUT=${OUT:-/tmp/gpu-tp-check}
MODEL=${MODEL:-models/gemma-3-270m-q4_k_m.gguf}
export NCCL_DEBUG=${NCCL_DEBUG:-WARN}
mkdir -p "$OUT"
# sgl and sgl_tests link libnccl.so.2: BUILD/lib (copy it there when carrying a build),
# the CUDA toolkit's folders, or the nvidia-nccl wheel of the machine's Python.
nccl_dir=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2>/dev/null)
export LD_LIBRARY_PATH="$BUILD/lib:/usr/local/cuda/lib64:/usr/local/cuda/lib:${nccl_dir}:${LD_LIBRARY_PATH:-}"
src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)
if [ -n "$src" ] && [ ! -e "$src/tests/fixtures" ]; then
  mkdir -p "$(dirname "$src")" && rm -rf "$src" && ln -s "$PWD" "$src"
fi

echo "== devices"
nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader
nvidia-smi topo -m 2>/dev/null | head -5

echo "== tests (CUDA tensor parallel, then CPU tensor parallel)"
"$BUILD/sgl_tests" --gtest_filter='CudaTensorParallel*:TensorParallel*:SharedMemoryCommunicator*' 2>&1 \
  | tee "$OUT/tests.log" | grep -E '^\[  (FAILED|SKIPPED) |Failure|Expected|Which is|error' | head -60
tests_rc=${PIPESTATUS[0]}
passed=$(grep -c '^\[       OK \]' "$OUT/tests.log")
failed=$(grep -c '^\[  FAILED  \] .*ms)$' "$OUT/tests.log")
skipped=$(grep -c '^\[  SKIPPED \] .*ms)$' "$OUT/tests.log")

echo "== sgl generate: greedy text at TP=1 and TP=2 must be equal"
for tp in 1 2; do
  "$BUILD/sgl" generate --device cuda --tp-size $tp --model-path "$MODEL" --prompt "The capital of France is" \
    --max-new-tokens 32 --temperature 0 > "$OUT/generate_tp$tp.txt" 2> "$OUT/generate_tp$tp.err"
done
if cmp -s "$OUT/generate_tp1.txt" "$OUT/generate_tp2.txt"; then same=yes; else same=NO; fi

echo "== sgl bench (batch 1): TP=1 vs TP=2"
for tp in 1 2; do
  "$BUILD/sgl" bench --device cuda --tp-size $tp --model-path "$MODEL" -p 512 -n 128 -r 5 2>&1 | tee "$OUT/bench_tp$tp.log"
done

echo "== sgl bench offline (throughput, 256 requests in-process): TP=1 vs TP=2"
for tp in 1 2; do
  "$BUILD/sgl" bench offline --device cuda --tp-size $tp --model-path "$MODEL" --num-prompts 256 \
    --output-file "$OUT/offline_tp$tp.json" 2>&1 | tee "$OUT/offline_tp$tp.log"
done

row() { sed -n "s/^| $1 | \([0-9.]* ± [0-9.]*\) |/\1/p" "$2" | head -1; }
echo
echo "== summary"
printf '%-40s %s\n' "tp tests (passed/failed/skipped)" "$passed/$failed/$skipped (rc $tests_rc)"
printf '%-40s %s\n' "greedy text TP=1 == TP=2" "$same"
for tp in 1 2; do
  printf '%-40s %s\n' "TP=$tp decode t/s (tg128, batch 1)" "$(row tg128 "$OUT/bench_tp$tp.log")"
  printf '%-40s %s\n' "TP=$tp prefill t/s (pp512)" "$(row pp512 "$OUT/bench_tp$tp.log")"
  printf '%-40s %s\n' "TP=$tp offline throughput" "$(grep -iE 'throughput' "$OUT/offline_tp$tp.log" | head -3 | tr -s ' ' | tr '\n' ';')"
done
