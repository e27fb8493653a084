#include "runtime/logprobs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace sgl {

std::vector<float> LogSoftmax(std::span<const float> logits, float temperature) {
  float max_scaled = -std::numeric_limits<float>::infinity();
  for (float l : logits) max_scaled = std::max(max_scaled, l / temperature);
  double total = 0;
  for (float l : logits) total += std::exp(static_cast<double>(l / temperature - max_scaled));
  const double log_total = std::log(total) + max_scaled;
  std::vector<float> out(logits.size());
  constexpr float kLowest = std::numeric_limits<float>::lowest();
  for (size_t i = 0; i < logits.size(); ++i) out[i] = std::max(static_cast<float>(logits[i] / temperature - log_total), kLowest);
  return out;
}

PositionLogprobs PickLogprobs(std::span<const float> logprobs, int32_t token, const LogprobOptions& options) {
  const int64_t vocab = static_cast<int64_t>(logprobs.size());
  auto at = [&](int32_t id) {
    return id >= 0 && id < vocab ? logprobs[id] : std::numeric_limits<float>::quiet_NaN();
  };
  PositionLogprobs out;
  out.token = {token, at(token)};
  const int64_t k = std::clamp<int64_t>(options.top_logprobs_num, 0, vocab);
  if (k > 0) {
    std::vector<int32_t> ids(vocab);
    std::iota(ids.begin(), ids.end(), 0);
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int32_t a, int32_t b) {
      return logprobs[a] > logprobs[b] || (logprobs[a] == logprobs[b] && a < b);
    });
    for (int64_t i = 0; i < k; ++i) out.top.push_back({ids[i], logprobs[ids[i]]});
  }
  for (int32_t id : options.token_ids_logprob) out.requested.push_back({id, at(id)});
  return out;
}

PositionLogprobs UndefinedLogprobs(int32_t token) {
  PositionLogprobs out;
  out.token = {token, std::numeric_limits<float>::quiet_NaN()};
  return out;
}

}  // namespace sgl
