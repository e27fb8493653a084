#!/usr/bin/env bash
# gpu-check.sh: everything the CUDA backend must show on a GPU machine, in one command:
# the CUDA unit and model tests, the decode/prefill benchmark (with the device copy
# bandwidth measured in the same run) and the transformers peer, then a short table.
#
#   tools/gpu-check.sh [BUILD_DIR]        BUILD_DIR: a CUDA build (default: build) holding
#                                         sgl_tests and bench_cuda_decode; a lib/ folder
#                                         inside it is searched for shared libraries first.
# Environment: TESTS=0 skips the tests, DECODE=0 skips the decode benchmark, CONSTRAINED=1
# adds JSON-Schema decoding vs unconstrained (below), OFFLINE=1 adds offline throughput (below),
# OFFLINE_ARGS=extra flags for `sgl bench offline`, OFFLINE_SHAPES / OFFLINE_PEER_SHAPES (below),
# PROFILE=1 adds an Nsight Compute kernel table of one batch-1 decode step and one TTFT prefill,
# PEER=path/to/torch_llama8b.py (default /work/shared/peers/torch_llama8b.py;
# skipped when missing or PEER=none), SANITIZE=1 also runs the attention tests under
# compute-sanitizer, OUT=folder for the logs (default /tmp/gpu-check).
# The tests read fixtures from the source tree the build was configured in; when that
# path does not exist here (a build carried to another machine), the current directory
# (a checkout of the same tree) is linked there.
set -uo pipefail
BUILD=$(cd "${1:-build}" && pwd)
OUT=${OUT:-/tmp/gpu-check}
PEER=${PEER:-/work/shared/peers/torch_llama8b.py}
mkdir -p "$OUT"

cublas_dir=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null)
# Builds with NCCL (tensor parallelism) link libnccl.so.2 too.
nccl_dir=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2>/dev/null)
export LD_LIBRARY_PATH="$BUILD/lib:/usr/local/cuda/lib64:/usr/local/cuda/lib:${cublas_dir}:${nccl_dir}:${LD_LIBRARY_PATH:-}"

src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)
if [ -n "$src" ] && [ ! -e "$src/tests/fixtures" ]; then
  mkdir -p "$(dirname "$src")" && rm -rf "$src" && ln -s "$PWD" "$src"
fi

echo "== device"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv,noheader

echo "== random-weight model of the default model's shapes (for the CPU-vs-CUDA greedy test)"
extra=/tmp/smollm2-shaped-random
if python3 "$(dirname "$0")/make_random_llama.py" "$extra" > "$OUT/make_model.log" 2>&1; then
  export SGL_CUDA_EXTRA_MODELS="$extra"
  tail -1 "$OUT/make_model.log"
else
  echo "could not make it: $(tail -1 "$OUT/make_model.log")"
fi

tests_rc=skipped
: > "$OUT/tests.log"
if [ "${TESTS:-1}" = 1 ]; then
  echo "== tests"
  "$BUILD/sgl_tests" --gtest_filter='*Cuda*:AttentionPlan*' 2>&1 | tee "$OUT/tests.log" | grep -E '^\[  (FAILED|  OK  ) |Failure|error|Expected|Which is|actual|token|Skipped|greedy tokens' | grep -v '^\[       OK' | head -80
  tests_rc=${PIPESTATUS[0]}
fi
passed=$(grep -c '^\[       OK \]' "$OUT/tests.log")
failed=$(grep -c '^\[  FAILED  \] .*ms)$' "$OUT/tests.log")
skipped=$(grep -c '^\[  SKIPPED \] .*ms)$' "$OUT/tests.log")

if [ "${SANITIZE:-0}" = 1 ] && command -v compute-sanitizer >/dev/null; then
  echo "== compute-sanitizer (attention, memcheck + racecheck)"
  timeout 300 compute-sanitizer --tool memcheck --error-exitcode 9 "$BUILD/sgl_tests" \
    --gtest_filter='CudaAttentionTest.*:CudaOpsTest.*' > "$OUT/memcheck.log" 2>&1
  echo "memcheck rc=$? $(grep -E 'ERROR SUMMARY' "$OUT/memcheck.log" | tail -1)"
  timeout 300 compute-sanitizer --tool racecheck --error-exitcode 9 "$BUILD/sgl_tests" \
    --gtest_filter='CudaAttentionTest.DecodeBatchWithGqa:CudaAttentionTest.LongDecodeTakesTheSplitPath:CudaAttentionTest.TensorCorePrefillOverLongPrefixes' > "$OUT/racecheck.log" 2>&1
  echo "racecheck rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/racecheck.log" | tail -1)"
fi

bench_rc=skipped
: > "$OUT/bench.log"; : > "$OUT/bench_nographs.log"
if [ "${DECODE:-1}" = 1 ]; then
  echo "== bench_cuda_decode (Llama-3.1-8B shapes, random bf16 weights)"
  "$BUILD/bench_cuda_decode" ${BENCH_ARGS:-} 2>&1 | tee "$OUT/bench.log"
  bench_rc=${PIPESTATUS[0]}

  echo "== bench_cuda_decode --graphs 0 (the same decode without CUDA graphs)"
  "$BUILD/bench_cuda_decode" --graphs 0 --ttft-tokens 128 --gen 64 2>&1 | grep -E 'RESULT decode|error' | tee "$OUT/bench_nographs.log"
fi

peer_rc=skipped
if [ "$PEER" != none ] && [ -f "$PEER" ]; then
  echo "== peer: $PEER"
  PYTHONUNBUFFERED=1 timeout "${PEER_TIMEOUT:-420}" python3 "$PEER" all 2>&1 | grep -v Warning | tee "$OUT/peer.log"
  peer_rc=${PIPESTATUS[0]}
fi

# A random Llama-3.1-8B-shaped checkpoint for the runs below, written once.
m8=/tmp/llama8b-random
make_llama8b() {
  [ -f "$m8/config.json" ] || python3 "$(dirname "$0")/make_random_llama.py" "$m8" --shape llama8b > "$OUT/make_8b.log" 2>&1 || tail -3 "$OUT/make_8b.log"
}

# Constrained decoding (CONSTRAINED=1): batch-1 decode under bench/decode_schema.json
# against the same decode unconstrained, with jump-forward on and off.
if [ "${CONSTRAINED:-0}" = 1 ]; then
  echo "== constrained decoding at batch 1, Llama-3.1-8B shapes (random bf16 weights)"
  make_llama8b
  for jump in "" --disable-jump-forward; do
    echo "-- json_schema ${jump:-(jump-forward on)}"
    "$BUILD/sgl" bench --device cuda --model-path "$m8" -p 0 -n 64 -r 3 \
      --json-schema "$(dirname "$0")/../bench/decode_schema.json" $jump 2>&1 | grep -E '^\| tg|constrained /'
  done | tee "$OUT/constrained.log"
fi

# Offline throughput (OFFLINE=1): `sgl bench offline` on the random Llama-3.1-8B-shaped
# model, up to 256 requests at once, and transformers on the same shapes.
if [ "${OFFLINE:-0}" = 1 ]; then
  echo "== offline throughput, Llama-3.1-8B shapes (random bf16 weights)"
  make_llama8b
  for shape in ${OFFLINE_SHAPES:-500:128:128 100:1000:1000 200:2048:128}; do
    IFS=: read -r n in out <<< "$shape"
    "$BUILD/sgl" bench offline --device cuda --model-path "$m8" --num-prompts "$n" --random-input-len "$in" \
      --random-output-len "$out" --random-range-ratio 1.0 --max-running-requests 256 ${OFFLINE_ARGS:-} \
      --output-file "$OUT/offline-$in-$out.json" > "$OUT/offline-$in-$out.log" 2>&1
    echo "ours in$in/out$out x$n: $(grep -E 'Output token|Total token' "$OUT/offline-$in-$out.log" | tr -s ' ' | tr '\n' ' ') $(grep -iE 'error|KV cache:' "$OUT/offline-$in-$out.log" | head -2)"
  done | tee "$OUT/offline.log"
  for shape in ${OFFLINE_PEER_SHAPES:-128:128 2048:128}; do
    IFS=: read -r in out <<< "$shape"
    timeout 300 python3 "$(dirname "$0")/../bench/hf_offline_throughput.py" "$m8" "$in" "$out" 2>&1 | grep -E 'tok/s|Error' | sed 's/^/peer: /'
  done | tee -a "$OUT/offline.log"
fi

# Kernel tables (PROFILE=1): ncu times every kernel of one bracketed batch-1 decode step
# (no graphs) and of one TTFT prefill, serialized; summed by kernel.
if [ "${PROFILE:-0}" = 1 ]; then
  for what in 1:decode 2:prefill; do
    echo "== ncu: one ${what#*:} (kernels serialized)"
    timeout 300 ncu --clock-control none --profile-from-start off --csv --metrics gpu__time_duration.sum \
      --print-units base "$BUILD/bench_cuda_decode" --profile "${what%%:*}" --graphs 0 --gen 16 \
      > "$OUT/ncu-${what#*:}.csv" 2> "$OUT/ncu-${what#*:}.err"
    python3 "$(dirname "$0")/ncu_kernel_table.py" "$OUT/ncu-${what#*:}.csv" | tee "$OUT/profile-${what#*:}.log"
  done
fi

value() { sed -n "s/^RESULT $1 \([0-9.]*\).*/\1/p" "$OUT/bench.log" | head -1; }
echo
echo "== summary"
printf '%-34s %s\n' "cuda tests (passed/failed/skipped)" "$passed/$failed/$skipped (rc $tests_rc)"
printf '%-34s %s\n' "copy bandwidth" "$(sed -n 's/^copy bandwidth.*: //p' "$OUT/bench.log")"
printf '%-34s %s\n' "HBM bound at batch 1" "$(sed -n 's/.*HBM bound //p' "$OUT/bench.log")"
grep '^RESULT' "$OUT/bench.log" | sed 's/^RESULT //' | while read -r line; do printf '%-34s %s\n' "${line%% *}" "${line#* }"; done
sed 's/^RESULT //' "$OUT/bench_nographs.log" | while read -r line; do printf '%-34s %s\n' "${line%% *} (graphs off)" "${line#* }"; done
printf '%-34s %s\n' "bench rc" "$bench_rc"
if [ -f "$OUT/peer.log" ]; then
  grep -E 'gemv sweep|out tok/s|failed' "$OUT/peer.log" | sed 's/^/peer: /'
fi
printf '%-34s %s\n' "peer rc" "$peer_rc"
[ -f "$OUT/constrained.log" ] && sed 's/^/constrained: /' "$OUT/constrained.log"
[ -f "$OUT/offline.log" ] && sed 's/^/offline: /' "$OUT/offline.log"
for what in decode prefill; do
  [ -f "$OUT/profile-$what.log" ] && tail -1 "$OUT/profile-$what.log" | sed "s/^/profile $what: /"
done
{ [ "$tests_rc" = 0 ] || [ "$tests_rc" = skipped ]; } && { [ "$bench_rc" = 0 ] || [ "$bench_rc" = skipped ]; }
