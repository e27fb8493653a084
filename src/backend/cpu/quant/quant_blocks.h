// The in-memory block formats of GGUF's quantized types, bit for bit as GGUF files
// store them (half-precision conversions: base/float16.h).
// Promise: sizeof(Block*) == Info(type).block_bytes for every type (static_asserted in
// quant_scalar.cc), and a Block* may be read straight out of a mapped GGUF tensor
// (which GGUF aligns to at least 32 bytes).
//
// Weight blocks: the value of element i is reconstructed as documented on each struct.
// Activation blocks (Q8_0, Q8_1, Q8_K) are made by QuantizeActivationRow.
#pragma once

#include <cstdint>

#include "base/float16.h"

namespace sgl::cpu {

inline constexpr int kQK = 32;           // elements per block of the legacy quants (Q4_0..Q8_1)
inline constexpr int kQKK = 256;         // elements per super-block of the k-quants
inline constexpr int kKScaleBytes = 12;  // packed 6-bit scales/mins of Q4_K and Q5_K

using Half = uint16_t;      // IEEE binary16 bits
using BFloat16 = uint16_t;  // upper half of an IEEE binary32

// x[i] = d * (nibble_i - 8). Byte j holds element j (low nibble) and j + 16 (high).
struct BlockQ4_0 {
  Half d;
  uint8_t qs[kQK / 2];
};

// x[i] = d * nibble_i + m; nibbles laid out as in Q4_0.
struct BlockQ4_1 {
  Half d;
  Half m;
  uint8_t qs[kQK / 2];
};

// x[i] = d * (q_i - 16), q_i = nibble_i | (bit i of qh) << 4.
struct BlockQ5_0 {
  Half d;
  uint8_t qh[4];  // little-endian uint32: bit i is the fifth bit of element i
  uint8_t qs[kQK / 2];
};

// x[i] = d * q_i + m, q_i as in Q5_0.
struct BlockQ5_1 {
  Half d;
  Half m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};

// x[i] = d * qs[i].
struct BlockQ8_0 {
  Half d;
  int8_t qs[kQK];
};

// x[i] = d * qs[i]; s = d * sum(qs) (rounded to fp16, so kernels recompute it exactly).
struct BlockQ8_1 {
  Half d;
  Half s;
  int8_t qs[kQK];
};

// 16 sub-blocks of 16. scales[j] = scale (low nibble) | min (high nibble) of sub-block j.
// Element e is the 2 bits at shift 2 * (e % 128 / 32) of qs[32 * (e / 128) + e % 32];
// x = d * scale * q - dmin * min.
struct BlockQ2_K {
  uint8_t scales[kQKK / 16];
  uint8_t qs[kQKK / 4];
  Half d;
  Half dmin;
};

// 16 sub-blocks of 16, x = d * (scale - 32) * (q - 4), q = 2 low bits (laid out as in
// Q2_K) | (bit e / 32 of hmask[e % 32]) << 2. scales: 16 six-bit values packed into 12
// bytes (low 4 bits in the nibbles of bytes 0..7, high 2 bits in bytes 8..11).
struct BlockQ3_K {
  uint8_t hmask[kQKK / 8];
  uint8_t qs[kQKK / 4];
  uint8_t scales[12];
  Half d;
};

// 8 sub-blocks of 32, x = d * scale_j * q - dmin * min_j with 6-bit scale_j/min_j packed
// in `scales`. Each 64-element chunk c uses qs[32c .. 32c+32): low nibbles first, then high.
struct BlockQ4_K {
  Half d;
  Half dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQKK / 2];
};

// As Q4_K with a fifth bit per element: bit e / 32 of qh[e % 32].
struct BlockQ5_K {
  Half d;
  Half dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};

// 16 sub-blocks of 16, x = d * scales[e / 16] * (q - 32). Within each 128-element half h,
// group g = e % 128 / 32, lane l = e % 32: the low 4 bits are the (g < 2 ? low : high)
// nibble of ql[64h + 32(g % 2) + l], the high 2 bits are at shift 2g of qh[32h + l].
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  Half d;
};

// Activation super-block: x[i] = d * qs[i]; bsums[j] = sum(qs[16j .. 16j+16)).
struct BlockQ8_K {
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];
};

}  // namespace sgl::cpu
