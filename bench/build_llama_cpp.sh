#!/usr/bin/env bash
# Builds the peer llama.cpp (llama-bench) from the source inside the llama-cpp-python
# sdist on PyPI, OUTSIDE this repository (default /opt/peers; override with PEERS_DIR).
# Nothing of it is committed. Prints the path of llama-bench.
set -euo pipefail
peers="${PEERS_DIR:-/opt/peers}"
version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
mkdir -p "$peers"
cd "$peers"
src="$peers/llama_cpp_python-$version/vendor/llama.cpp"
if [ ! -x "$src/build/bin/llama-bench" ]; then
  [ -f "llama_cpp_python-$version.tar.gz" ] || python3 -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$version" -d .
  [ -d "$src" ] || tar xzf "llama_cpp_python-$version.tar.gz"
  cmake -S "$src" -B "$src/build" -G Ninja -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DCMAKE_BUILD_TYPE=Release > /dev/null
  ninja -C "$src/build" llama-bench > /dev/null
fi
echo "$src/build/bin/llama-bench"
