// SamplingParams: how the next token is chosen, with SGLang's names and defaults.
// temperature < 1e-6 means greedy (argmax). top_k = -1 means the whole vocabulary.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace sgl {

struct SamplingParams {
  int max_new_tokens = 128;
  float temperature = 1.0f;
  float top_p = 1.0f;
  int top_k = -1;
  float min_p = 0.0f;
  bool ignore_eos = false;
  std::vector<int32_t> stop_token_ids;
  std::optional<uint64_t> seed;  // per-request seed; unset: the engine's random seed

  bool IsGreedy() const { return temperature < 1e-6f || top_k == 1; }
};

}  // namespace sgl
