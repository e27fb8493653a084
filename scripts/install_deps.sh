#!/usr/bin/env bash
# Installs the Debian packages sglang.cpp builds and tests with, and the Python client the
# server tests use (idempotent; run as root).
set -euo pipefail
packages=(
  cmake ninja-build g++ ccache pkg-config python3 python3-pip unzip
  nlohmann-json3-dev libfmt-dev libspdlog-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libpcre2-dev libutf8proc-dev
  libstb-dev libwebp-dev libxxhash-dev
  libboost-dev prometheus-cpp-dev
  clang-14 libclang-rt-14-dev
  chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

# The end-to-end server tests talk to `sgl serve` with the official OpenAI client; the
# constrained-decoding corpus test validates outputs with `jsonschema` (+ its date-time
# format checker).
if ! python3 -c "import openai, jsonschema, rfc3339_validator" 2> /dev/null; then
  echo "installing: openai jsonschema rfc3339-validator (pip)"
  python3 -m pip install -q --disable-pip-version-check openai jsonschema rfc3339-validator 2> /dev/null ||
    python3 -m pip install -q --disable-pip-version-check --break-system-packages openai jsonschema rfc3339-validator
fi

# SGLang's own Python frontend (frontend only, no torch; see reference/packages.md), for
# the test that runs its programs against `sgl serve`.
frontend="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.deps/sglang-frontend"
if [ ! -f "$frontend/sglang/__init__.py" ]; then
  echo "installing: sglang==0.5.6.post1 frontend (pip, into .deps/)"
  python3 -m pip install -q --disable-pip-version-check --no-deps --target "$frontend" sglang==0.5.6.post1 \
    numpy tqdm pybase64 requests urllib3 idna certifi charset_normalizer IPython traitlets pygments pydantic \
    pydantic_core typing_extensions typing_inspection annotated_types aiohttp multidict attrs yarl propcache \
    aiohappyeyeballs aiosignal frozenlist
fi
