#include "runtime/logits_processor.h"

#include <limits>
#include <unordered_map>
#include <unordered_set>

namespace sgl {

void ApplyLogitsProcessing(std::span<float> logits, const SamplingParams& p, std::span<const int32_t> prompt,
                           std::span<const int32_t> output, std::span<const int32_t> eos_ids) {
  const int64_t vocab = static_cast<int64_t>(logits.size());
  auto valid = [&](int32_t t) { return t >= 0 && t < vocab; };
  for (const auto& [token, bias] : p.logit_bias)
    if (valid(token)) logits[token] += bias;

  if (p.repetition_penalty != 1.0f) {
    std::unordered_set<int32_t> seen(prompt.begin(), prompt.end());
    seen.insert(output.begin(), output.end());
    for (int32_t t : seen) {
      if (!valid(t)) continue;
      float& l = logits[t];
      l = l > 0 ? l / p.repetition_penalty : l * p.repetition_penalty;
    }
  }
  if (p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f) {
    std::unordered_map<int32_t, int> counts;
    for (int32_t t : output) ++counts[t];
    for (const auto& [t, n] : counts)
      if (valid(t)) logits[t] -= p.frequency_penalty * static_cast<float>(n) + p.presence_penalty;
  }
  if (static_cast<int64_t>(output.size()) < p.min_new_tokens) {
    constexpr float kImpossible = -std::numeric_limits<float>::infinity();
    for (int32_t t : eos_ids)
      if (valid(t)) logits[t] = kImpossible;
    for (int32_t t : p.stop_token_ids)
      if (valid(t)) logits[t] = kImpossible;
  }
}

bool LogitsProcessingMayChange(const SamplingParams& p, int64_t num_output) {
  return !p.logit_bias.empty() || p.repetition_penalty != 1.0f || p.frequency_penalty != 0.0f ||
         p.presence_penalty != 0.0f || num_output < p.min_new_tokens;
}

}  // namespace sgl
