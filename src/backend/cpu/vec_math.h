// Small float vector kernels shared by the CPU ops (norms, scaling). Each is compiled
// for AVX-512, AVX2 and plain x86-64 and the best clone is picked when the program loads.
// Pure functions; thread-safe.
#pragma once

#include <bit>
#include <cstdint>

namespace sgl::cpu {

// y *= a
void ScaleF32(float a, float* y, int64_t n);
float SumOfSquaresF32(const float* x, int64_t n);
// out = silu(gate) * up and out = gelu_tanh(gate) * up (out may alias gate).
void SiluMulF32(const float* gate, const float* up, float* out, int64_t n);
void GeluTanhMulF32(const float* gate, const float* up, float* out, int64_t n);

// exp(x) for float, within a few ulp of std::exp on [-87, 88] (0 below, clamped above), written
// with plain arithmetic and bit casts so that loops calling it vectorize.
inline float ExpF32(float x) {
  x = x < -87.3f ? -87.3f : (x > 88.0f ? 88.0f : x);
  // exp(x) = 2^n * exp(r), n = round(x / ln2), r = x - n ln2 in [-ln2/2, ln2/2] (ln2 split
  // into a part exact in float and a correction, as in Cephes).
  // Adding and subtracting 1.5 * 2^23 rounds to the nearest integer (ties to even) in
  // plain float arithmetic, which vectorizes everywhere.
  constexpr float kRoundMagic = 12582912.0f;
  const float n = (x * 1.44269504088896341f + kRoundMagic) - kRoundMagic;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float exp_r = p * r * r + r + 1.0f;
  const float two_to_n = std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);
  return x <= -87.3f ? 0.0f : exp_r * two_to_n;
}

// tanh(x) = 1 - 2 / (exp(2x) + 1), saturating to +-1.
inline float TanhF32(float x) { return 1.0f - 2.0f / (ExpF32(2.0f * x) + 1.0f); }

}  // namespace sgl::cpu
