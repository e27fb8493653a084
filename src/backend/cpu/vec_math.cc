#include "backend/cpu/vec_math.h"

#include "backend/cpu/multiversion.h"

namespace sgl::cpu {

SGL_MULTIVERSION void ScaleF32(float a, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] *= a;
}

SGL_MULTIVERSION float SumOfSquaresF32(const float* x, int64_t n) {
  float acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += x[i + j] * x[i + j];
  float sum = 0;
  for (; i < n; ++i) sum += x[i] * x[i];
  for (float v : acc) sum += v;
  return sum;
}

SGL_MULTIVERSION void SiluMulF32(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + ExpF32(-gate[i])) * up[i];
}

SGL_MULTIVERSION void GeluTanhMulF32(const float* gate, const float* up, float* out, int64_t n) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = 0.5f * g * (1.0f + TanhF32(kSqrt2OverPi * (g + 0.044715f * g * g * g))) * up[i];
  }
}

}  // namespace sgl::cpu
