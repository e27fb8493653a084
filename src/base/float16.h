// Conversions between float32 and the 16-bit float formats (IEEE half, bfloat16): round
// to nearest even, overflow to infinity, NaN kept a NaN; exact for every fp16 value.
//
// `static` on purpose: these compile differently with and without -mf16c (the AVX kernel
// files vs the rest), so each translation unit keeps its own copy. With external linkage
// the linker could hand the F16C build to portable code and crash CPUs without F16C.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace sgl {

namespace float16_detail {
static inline uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}
static inline float FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}
}  // namespace float16_detail

static inline float F16ToF32(uint16_t h) {
#if defined(__F16C__)
  return _cvtsh_ss(h);
#else
  using namespace float16_detail;
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1F;
  const uint32_t mantissa = h & 0x3FF;
  if (exponent == 0x1F) return FromBits(sign | 0x7F800000u | (mantissa << 13));  // inf/NaN
  if (exponent != 0) return FromBits(sign | ((exponent + 112) << 23) | (mantissa << 13));
  // Zero or subnormal: mantissa * 2^-24 is exact in f32.
  const float magnitude = static_cast<float>(mantissa) * FromBits(0x33800000u);  // 2^-24
  return FromBits(sign | Bits(magnitude));
#endif
}

static inline uint16_t F32ToF16(float f) {
#if defined(__F16C__)
  return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#else
  using namespace float16_detail;
  const uint32_t bits = Bits(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u) return sign | 0x7E00;   // NaN
  if (magnitude >= 0x477FF000u) return sign | 0x7C00;  // rounds to >= 65520: infinity
  if (magnitude < 0x38800000u) {
    // Subnormal result (or zero): scale so the fp16 ulp (2^-24) becomes 1.0 and let the
    // FPU round to nearest even.
    const float scaled = FromBits(magnitude) * FromBits(0x4B800000u);  // * 2^24
    return sign | static_cast<uint16_t>(static_cast<uint32_t>(__builtin_rintf(scaled)));
  }
  // Normal: rebias the exponent and round the 13 dropped mantissa bits to nearest even.
  uint32_t half = (magnitude >> 13) - (112u << 10);
  const uint32_t dropped = magnitude & 0x1FFF;
  if (dropped > 0x1000 || (dropped == 0x1000 && (half & 1))) ++half;  // may carry into exponent
  return sign | static_cast<uint16_t>(half);
#endif
}

static inline float Bf16ToF32(uint16_t b) { return float16_detail::FromBits(static_cast<uint32_t>(b) << 16); }

static inline uint16_t F32ToBf16(float f) {
  const uint32_t bits = float16_detail::Bits(f);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet NaN
  const uint32_t rounding = 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

}  // namespace sgl
