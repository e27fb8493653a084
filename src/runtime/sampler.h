// Sampler: picks the next token from one row of logits under SamplingParams
// (temperature, top-k, top-p, min-p; greedy when temperature ~ 0). Holds its own random
// generator, so results are reproducible for a given seed. Not thread-safe: one per request.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "sgl/sampling_params.h"

namespace sgl {

class Sampler {
 public:
  explicit Sampler(uint64_t seed) : rng_(seed) {}

  // REQUIRES: logits is non-empty and params are valid (validate_sampling_params.h).
  int32_t Sample(std::span<const float> logits, const SamplingParams& params);
  // A seed for a draw made elsewhere (on the device), from this sampler's generator.
  uint64_t NextSeed() { return rng_(); }

 private:
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> candidates_;  // reused scratch
};

// Index of the largest logit (the first one on ties).
int32_t Argmax(std::span<const float> logits);

}  // namespace sgl
