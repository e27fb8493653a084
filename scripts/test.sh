#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, fetches the real models
# and runs the whole test suite: a short fuzzing run of every parser under ASan+UBSan,
# then the unit, model-correctness and CLI tests through ctest (whose summary line ends
# the output).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install_deps.sh"
bash "$root/scripts/build.sh"
bash "$root/scripts/fetch_models.sh"
bash "$root/scripts/fuzz.sh" "${SGL_FUZZ_SECONDS:-20}"
cd "$root/build"
ctest --output-on-failure -j "$(nproc)" --timeout 900
