#!/usr/bin/env bash
# Serving benchmarks of `sgl serve` on the default model, driven by `sgl bench serving`:
#   1. concurrency: N streaming clients at once (default 1000), every one must complete;
#   2. tracing cost: bench/trace_cost_bench.py (a plain server vs one with --log-req-id
#      whose status page data is polled every second, rounds alternated).
# Usage: bench/serving_bench.sh [clients] [input_len] [output_len]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sgl="$root/build/sgl"
clients="${1:-1000}"
input_len="${2:-128}"
output_len="${3:-32}"
out="$root/build/bench-serving"
mkdir -p "$out"

start_server() {  # start_server PORT FLAGS... ; waits for /health
  local port="$1"; shift
  "$sgl" serve --port "$port" --max-running-requests 128 "$@" > "$out/server-$port.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$port/health" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on port $port did not start" >&2; cat "$out/server-$port.log" >&2; exit 1
}

stop_server() { kill -TERM "$server_pid"; wait "$server_pid" || true; }

echo "== 1. $clients concurrent streaming clients (input ~$input_len, output $output_len tokens)"
ulimit -n 65536 || true
start_server 31000
"$sgl" bench serving --port 31000 --num-prompts "$clients" --random-input-len "$input_len" \
  --random-output-len "$output_len" --random-range-ratio 1.0 --output-file "$out/concurrency.json"
stop_server

echo "== 2. cost of --log-req-id + the status page polled every second (same load, alternated)"
python3 "$root/bench/trace_cost_bench.py" --sgl "$sgl" --input-len "$input_len" --output-len "$output_len"
