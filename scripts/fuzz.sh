#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzzer.cc) with clang-14, ASan and UBSan in
# build-fuzz/, then runs each for N seconds (default 30) starting from the seeds in
# tests/fuzz/corpus/<format>/. Fails if any fuzzer finds a crash; the crashing input is
# left in build-fuzz/artifacts/<fuzzer>/. Usage: scripts/fuzz.sh [seconds]
set -euo pipefail

seconds="${1:-30}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
fuzzers=(gguf safetensors hf_config chat_template generate_request tokenizer_json regex json_schema ebnf tool_call image)

CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSGL_BUILD_FUZZERS=ON -DSGL_BUILD_TESTS=OFF -DSGL_ENABLE_CUDA=OFF >/dev/null
ninja -C "$build" -j2 "${fuzzers[@]/%/_fuzzer}"

for format in "${fuzzers[@]}"; do
  fuzzer="${format}_fuzzer"
  corpus="$build/corpus/$format"      # grows as the fuzzer finds new inputs; kept out of git
  artifacts="$build/artifacts/$fuzzer/"
  mkdir -p "$corpus" "$artifacts"
  echo "== $fuzzer: ${seconds}s"
  log="$build/$fuzzer.log"
  # Exits non-zero on a crash, leak, timeout or out-of-memory.
  status=0
  "$build/$fuzzer" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts" -dict="$root/tests/fuzz/$format.dict" \
    "$corpus" "$root/tests/fuzz/corpus/$format" >"$log" 2>&1 || status=$?
  if [[ "$status" != 0 ]]; then
    tail -n 60 "$log" >&2
    echo "$fuzzer FAILED (exit $status); crashing input in $artifacts, full log in $log" >&2
    exit 1
  fi
  grep -E "^(Done |stat::number_of_executed_units|stat::peak_rss_mb)|#[0-9]+ +DONE" "$log" || true
done
echo "fuzzers clean"
