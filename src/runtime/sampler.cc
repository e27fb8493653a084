#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>

namespace sgl {

int32_t Argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

int32_t Sampler::Sample(std::span<const float> logits, const SamplingParams& params) {
  if (params.IsGreedy()) return Argmax(logits);
  const int64_t vocab = static_cast<int64_t>(logits.size());
  const int64_t k = params.top_k > 0 ? std::min<int64_t>(params.top_k, vocab) : vocab;

  // Candidates sorted by logit, best first; only the top k are kept.
  candidates_.resize(vocab);
  for (int64_t i = 0; i < vocab; ++i) candidates_[i] = {logits[i], static_cast<int32_t>(i)};
  auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  std::partial_sort(candidates_.begin(), candidates_.begin() + k, candidates_.end(), by_logit);
  candidates_.resize(k);

  // Softmax at the temperature (probabilities overwrite the logits).
  const float max_logit = candidates_[0].first;
  double total = 0;
  for (auto& [p, id] : candidates_) {
    p = std::exp((p - max_logit) / params.temperature);
    total += p;
  }
  for (auto& [p, id] : candidates_) p = static_cast<float>(p / total);

  // top-p keeps the smallest prefix whose mass reaches top_p; min-p drops tokens below
  // min_p times the best probability. The best token always survives.
  size_t keep = candidates_.size();
  if (params.top_p < 1.0f) {
    double mass = 0;
    for (size_t i = 0; i < candidates_.size(); ++i) {
      mass += candidates_[i].first;
      if (mass >= params.top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  if (params.min_p > 0.0f) {
    const float threshold = params.min_p * candidates_[0].first;
    size_t i = 1;
    while (i < keep && candidates_[i].first >= threshold) ++i;
    keep = i;
  }
  candidates_.resize(keep);

  double kept_mass = 0;
  for (const auto& c : candidates_) kept_mass += c.first;
  double r = std::uniform_real_distribution<double>(0.0, kept_mass)(rng_);
  for (const auto& [p, id] : candidates_) {
    r -= p;
    if (r <= 0) return id;
  }
  return candidates_.back().second;
}

}  // namespace sgl
