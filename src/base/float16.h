// Scalar conversions between float32 and the 16-bit float formats (IEEE half, bfloat16),
// bit-exact with the hardware conversions (round to nearest even, NaN preserved).
#pragma once

#include <bit>
#include <cstdint>

namespace sgl {

inline float Bf16ToF32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

inline uint16_t F32ToBf16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fff + ((u >> 16) & 1);
  return static_cast<uint16_t>(u >> 16);
}

inline float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000 | (mant << 13));  // inf / NaN
  if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
  // Zero or subnormal: value = mant * 2^-24.
  const float magnitude = static_cast<float>(mant) * (1.0f / 16777216.0f);
  return sign ? -magnitude : magnitude;
}

inline uint16_t F32ToF16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
  const uint32_t abs = u & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00;          // NaN
  if (abs >= 0x477ff000) return sign | 0x7c00;         // overflow (>= 65520) -> inf
  if (abs < 0x38800000) {                              // subnormal half or zero
    // Scale so the half's subnormal unit (2^-24) becomes 1, then round to nearest even.
    const float scaled = std::bit_cast<float>(abs) * 16777216.0f;
    const uint32_t whole = static_cast<uint32_t>(scaled);
    const float frac = scaled - static_cast<float>(whole);
    uint32_t rounded = whole + ((frac > 0.5f || (frac == 0.5f && (whole & 1))) ? 1 : 0);
    return sign | static_cast<uint16_t>(rounded);
  }
  // Normal: rebias exponent, round mantissa from 23 to 10 bits (nearest even).
  uint32_t v = abs - (112u << 23);
  v += 0xfff + ((v >> 13) & 1);
  return sign | static_cast<uint16_t>(v >> 13);
}

}  // namespace sgl
