// Sampling on the device, without sorting: a row's token is argmax_c(logit_c / T + g_c)
// where g_c = -log(-log(u_c)) is standard Gumbel noise and u_c a counter-based uniform
// drawn from (seed, c). That is a draw from softmax(logits / T) (the Gumbel-max trick),
// and the same seed gives the same noise on the host and on the GPU. T = 0 is the plain
// argmax, the lowest column on ties. Pure functions, usable from CUDA code.
#pragma once

#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define SGL_HOST_DEVICE_FN __host__ __device__
#else
#define SGL_HOST_DEVICE_FN
#endif

namespace sgl {

// SplitMix64's finalizer: a bijection of 64-bit words with good avalanche.
SGL_HOST_DEVICE_FN inline uint64_t MixBits(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Uniform in (0, 1), from 24 random bits of (seed, index).
SGL_HOST_DEVICE_FN inline float UniformOpen(uint64_t seed, int64_t index) {
  const uint64_t bits = MixBits(seed ^ MixBits(static_cast<uint64_t>(index) + 0x9e3779b97f4a7c15ull));
  return (static_cast<float>(bits >> 40) + 0.5f) * (1.0f / 16777216.0f);
}

// The value a column competes with in a temperature-T draw.
SGL_HOST_DEVICE_FN inline float NoisyLogit(float logit, float inv_temperature, uint64_t seed, int64_t index) {
  return logit * inv_temperature - logf(-logf(UniformOpen(seed, index)));
}

// The token of one row of n logits: the argmax when temperature <= 0, else a draw from
// softmax(row / temperature) keyed by seed.
inline int32_t SampleRowOnHost(const float* row, int64_t n, float temperature, uint64_t seed) {
  int64_t best = 0;
  if (temperature <= 0.0f) {
    for (int64_t c = 1; c < n; ++c)
      if (row[c] > row[best]) best = c;
    return static_cast<int32_t>(best);
  }
  const float inv = 1.0f / temperature;
  float best_value = NoisyLogit(row[0], inv, seed, 0);
  for (int64_t c = 1; c < n; ++c) {
    const float v = NoisyLogit(row[c], inv, seed, c);
    if (v > best_value) {
      best_value = v;
      best = c;
    }
  }
  return static_cast<int32_t>(best);
}

}  // namespace sgl
