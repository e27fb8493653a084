#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, fetches the real models
# and runs the whole test suite (unit, model-correctness and CLI tests through ctest, then
# a short fuzzing run of every parser under ASan+UBSan).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install_deps.sh"
bash "$root/scripts/build.sh"
bash "$root/scripts/fetch_models.sh"
cd "$root/build"
ctest --output-on-failure -j "$(nproc)" --timeout 900
if [ -f "$root/scripts/fuzz.sh" ]; then
  bash "$root/scripts/fuzz.sh" "${SGL_FUZZ_SECONDS:-20}"
fi
