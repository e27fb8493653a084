// Portable reference implementation of every quant kernel: dequantization of all weight
// types, activation quantization (F32, Q8_0, Q8_1, Q8_K) and the matmul tile. Written for
// clarity: each block type is first decoded to small integers plus float scales, and one
// generic integer dot product per block family does the rest. The SIMD kernels must agree
// with these results up to float rounding (activation quantization: bit for bit).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/cpu/quant/quant_blocks.h"
#include "backend/cpu/quant/quant_impl.h"

namespace sgl::cpu::internal {
namespace {

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22 &&
              sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144 &&
              sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292);

// ======================= decoding weight blocks to integers ============================

// A legacy block as integers: x[i] = scale * q[i] + offset.
struct LegacyLevels {
  float scale;
  float offset;
  int8_t q[kQK];
};

// Nibble i of a legacy block: byte i % 16, low nibble for i < 16.
inline int Nibble(const uint8_t* qs, int i) { return i < 16 ? qs[i] & 0x0F : qs[i - 16] >> 4; }

inline int FifthBit(const uint8_t* qh, int i) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof(bits));
  return (bits >> i) & 1;
}

LegacyLevels Decode(const BlockQ4_0& b) {
  LegacyLevels l{F16ToF32(b.d), 0.0f, {}};
  for (int i = 0; i < kQK; ++i) l.q[i] = static_cast<int8_t>(Nibble(b.qs, i) - 8);
  return l;
}

LegacyLevels Decode(const BlockQ4_1& b) {
  LegacyLevels l{F16ToF32(b.d), F16ToF32(b.m), {}};
  for (int i = 0; i < kQK; ++i) l.q[i] = static_cast<int8_t>(Nibble(b.qs, i));
  return l;
}

LegacyLevels Decode(const BlockQ5_0& b) {
  LegacyLevels l{F16ToF32(b.d), 0.0f, {}};
  for (int i = 0; i < kQK; ++i) l.q[i] = static_cast<int8_t>((Nibble(b.qs, i) | FifthBit(b.qh, i) << 4) - 16);
  return l;
}

LegacyLevels Decode(const BlockQ5_1& b) {
  LegacyLevels l{F16ToF32(b.d), F16ToF32(b.m), {}};
  for (int i = 0; i < kQK; ++i) l.q[i] = static_cast<int8_t>(Nibble(b.qs, i) | FifthBit(b.qh, i) << 4);
  return l;
}

LegacyLevels Decode(const BlockQ8_0& b) {
  LegacyLevels l{F16ToF32(b.d), 0.0f, {}};
  std::memcpy(l.q, b.qs, kQK);
  return l;
}

// A k-quant super-block as integers, with per-16-element scales and mins:
//   x[i] = d * scale[i / 16] * q[i] - dmin * min[i / 16].
struct KQuantLevels {
  float d;
  float dmin;
  int8_t q[kQKK];
  int16_t scale[kQKK / 16];
  int16_t min[kQKK / 16];
};

// The 2-bit field of element e in the Q2_K/Q3_K `qs` layout.
inline int TwoBits(const uint8_t* qs, int e) { return (qs[32 * (e / 128) + e % 32] >> (2 * (e % 128 / 32))) & 3; }

// Q4_K/Q5_K: eight 6-bit (scale, min) pairs packed into 12 bytes. Pairs 0-3 are the low 6
// bits of bytes 0-3 (scale) and 4-7 (min); pairs 4-7 take their low 4 bits from the
// nibbles of bytes 8-11 and their top 2 bits from the spare top bits of bytes 0-7.
void UnpackScaleMinK4(const uint8_t* packed, int j, int* scale, int* min) {
  if (j < 4) {
    *scale = packed[j] & 63;
    *min = packed[j + 4] & 63;
  } else {
    *scale = (packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4);
    *min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

KQuantLevels Decode(const BlockQ2_K& b) {
  KQuantLevels l{F16ToF32(b.d), F16ToF32(b.dmin), {}, {}, {}};
  for (int e = 0; e < kQKK; ++e) l.q[e] = static_cast<int8_t>(TwoBits(b.qs, e));
  for (int j = 0; j < 16; ++j) {
    l.scale[j] = b.scales[j] & 0x0F;
    l.min[j] = b.scales[j] >> 4;
  }
  return l;
}

KQuantLevels Decode(const BlockQ3_K& b) {
  KQuantLevels l{F16ToF32(b.d), 0.0f, {}, {}, {}};
  for (int e = 0; e < kQKK; ++e) {
    const int high = (b.hmask[e % 32] >> (e / 32)) & 1;
    l.q[e] = static_cast<int8_t>((TwoBits(b.qs, e) | high << 2) - 4);
  }
  for (int j = 0; j < 16; ++j) {
    const int low4 = (j < 8 ? b.scales[j] : b.scales[j - 8] >> 4) & 0x0F;
    const int high2 = (b.scales[8 + j % 4] >> (2 * (j / 4))) & 3;
    l.scale[j] = static_cast<int16_t>((low4 | high2 << 4) - 32);
  }
  return l;
}

// Q4_K and Q5_K share the 64-element chunk layout: low nibbles of 32 bytes, then highs.
inline int K4Nibble(const uint8_t* qs, int e) {
  const uint8_t byte = qs[32 * (e / 64) + e % 32];
  return (e % 64 < 32) ? (byte & 0x0F) : (byte >> 4);
}

void DecodeK4ScaleMins(const uint8_t* packed, KQuantLevels* l) {
  for (int j = 0; j < 8; ++j) {
    int scale, min;
    UnpackScaleMinK4(packed, j, &scale, &min);
    l->scale[2 * j] = l->scale[2 * j + 1] = static_cast<int16_t>(scale);
    l->min[2 * j] = l->min[2 * j + 1] = static_cast<int16_t>(min);
  }
}

KQuantLevels Decode(const BlockQ4_K& b) {
  KQuantLevels l{F16ToF32(b.d), F16ToF32(b.dmin), {}, {}, {}};
  for (int e = 0; e < kQKK; ++e) l.q[e] = static_cast<int8_t>(K4Nibble(b.qs, e));
  DecodeK4ScaleMins(b.scales, &l);
  return l;
}

KQuantLevels Decode(const BlockQ5_K& b) {
  KQuantLevels l{F16ToF32(b.d), F16ToF32(b.dmin), {}, {}, {}};
  for (int e = 0; e < kQKK; ++e) {
    const int high = (b.qh[e % 32] >> (e / 32)) & 1;
    l.q[e] = static_cast<int8_t>(K4Nibble(b.qs, e) | high << 4);
  }
  DecodeK4ScaleMins(b.scales, &l);
  return l;
}

KQuantLevels Decode(const BlockQ6_K& b) {
  KQuantLevels l{F16ToF32(b.d), 0.0f, {}, {}, {}};
  for (int e = 0; e < kQKK; ++e) {
    const int half = e / 128, group = e % 128 / 32, lane = e % 32;
    const uint8_t low_byte = b.ql[64 * half + 32 * (group % 2) + lane];
    const int low4 = group < 2 ? (low_byte & 0x0F) : (low_byte >> 4);
    const int high2 = (b.qh[32 * half + lane] >> (2 * group)) & 3;
    l.q[e] = static_cast<int8_t>((low4 | high2 << 4) - 32);
  }
  for (int j = 0; j < 16; ++j) l.scale[j] = b.scales[j];
  return l;
}

// ============================== dequantization ======================================

// Operation order matches gguf-py/ggml ((d * scale) * q - dmin * min) so results agree
// to the last bit in the common case.
void DequantizeLegacy(const LegacyLevels& l, float* y) {
  for (int i = 0; i < kQK; ++i) y[i] = static_cast<float>(l.q[i]) * l.scale + l.offset;
}

void DequantizeKQuant(const KQuantLevels& l, float* y) {
  for (int j = 0; j < 16; ++j) {
    const float step = l.d * static_cast<float>(l.scale[j]);
    const float offset = l.dmin * static_cast<float>(l.min[j]);
    for (int i = 16 * j; i < 16 * j + 16; ++i) y[i] = step * static_cast<float>(l.q[i]) - offset;
  }
}

template <typename Block>
void DequantizeLegacyRow(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const Block*>(src);
  for (int64_t b = 0; b < n / kQK; ++b) DequantizeLegacy(Decode(blocks[b]), dst + b * kQK);
}

template <typename Block>
void DequantizeKQuantRow(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const Block*>(src);
  for (int64_t b = 0; b < n / kQKK; ++b) DequantizeKQuant(Decode(blocks[b]), dst + b * kQKK);
}

void DequantizeActivationRow(DType type, const void* src, float* dst, int64_t n) {
  if (type == DType::kQ8_1) {
    const auto* blocks = static_cast<const BlockQ8_1*>(src);
    for (int64_t b = 0; b < n / kQK; ++b) {
      const float d = F16ToF32(blocks[b].d);
      for (int i = 0; i < kQK; ++i) dst[b * kQK + i] = d * blocks[b].qs[i];
    }
  } else {  // Q8_K
    const auto* blocks = static_cast<const BlockQ8_K*>(src);
    for (int64_t b = 0; b < n / kQKK; ++b) {
      for (int i = 0; i < kQKK; ++i) dst[b * kQKK + i] = blocks[b].d * blocks[b].qs[i];
    }
  }
}

// ======================== activation quantization ===================================

float AbsMax(const float* x, int n) {
  float amax = 0.0f;
  for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  return amax;
}

// Rounds to nearest, ties to even (the SIMD conversion's rounding), and clamps to the
// symmetric int8 range so that |q| <= 127 always holds (the SIMD dot products rely on it).
inline int8_t RoundToInt8(float v) {
  const float r = std::nearbyint(v);
  return static_cast<int8_t>(std::clamp(r, -127.0f, 127.0f));
}

// The step is rounded to fp16 *before* quantizing so that dequantization (which only sees
// the fp16 step) is within half a step of x.
void QuantizeQ8_0Block(const float* x, Half* d_out, int8_t* q) {
  const Half d_half = F32ToF16(AbsMax(x, kQK) / 127.0f);
  const float d = F16ToF32(d_half);
  const float inv_d = d != 0.0f ? 1.0f / d : 0.0f;
  for (int i = 0; i < kQK; ++i) q[i] = RoundToInt8(x[i] * inv_d);
  *d_out = d_half;
}

void QuantizeQ8_0Row(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(out);
  for (int64_t b = 0; b < n / kQK; ++b) QuantizeQ8_0Block(x + b * kQK, &blocks[b].d, blocks[b].qs);
}

void QuantizeQ8_1Row(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_1*>(out);
  for (int64_t b = 0; b < n / kQK; ++b) {
    QuantizeQ8_0Block(x + b * kQK, &blocks[b].d, blocks[b].qs);
    int sum = 0;
    for (int i = 0; i < kQK; ++i) sum += blocks[b].qs[i];
    blocks[b].s = F32ToF16(F16ToF32(blocks[b].d) * static_cast<float>(sum));
  }
}

void QuantizeQ8_KRow(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_K*>(out);
  for (int64_t b = 0; b < n / kQKK; ++b) {
    BlockQ8_K& block = blocks[b];
    const float* xb = x + b * kQKK;
    const float d = AbsMax(xb, kQKK) / 127.0f;
    const float inv_d = d != 0.0f ? 1.0f / d : 0.0f;
    for (int i = 0; i < kQKK; ++i) block.qs[i] = RoundToInt8(xb[i] * inv_d);
    for (int j = 0; j < kQKK / 16; ++j) {
      int sum = 0;
      for (int i = 16 * j; i < 16 * j + 16; ++i) sum += block.qs[i];
      block.bsums[j] = static_cast<int16_t>(sum);
    }
    block.d = d;
  }
}

void CopyF32Row(const float* x, void* out, int64_t n) { std::memcpy(out, x, n * sizeof(float)); }

// ================================ dot products ======================================

// sum_i (scale * w[i] + offset) * (d_act * a[i])
//   = d_act * (scale * sum(w * a) + offset * sum(a)).
// Q8_1's stored `s` is fp16-rounded, so sum(a) is recomputed from the quants instead.
template <typename WeightBlock, typename ActBlock>
float DotLegacyRow(const void* weights, const void* acts, int64_t k) {
  const auto* w = static_cast<const WeightBlock*>(weights);
  const auto* a = static_cast<const ActBlock*>(acts);
  float total = 0.0f;
  for (int64_t b = 0; b < k / kQK; ++b) {
    const LegacyLevels l = Decode(w[b]);
    int weighted = 0, act_sum = 0;
    for (int i = 0; i < kQK; ++i) {
      weighted += l.q[i] * a[b].qs[i];
      act_sum += a[b].qs[i];
    }
    const float d_act = F16ToF32(a[b].d);
    total += d_act * (l.scale * static_cast<float>(weighted) + l.offset * static_cast<float>(act_sum));
  }
  return total;
}

// sum_j d_act * (d * scale_j * sum_{i in j}(q * a) - dmin * min_j * bsum_j).
template <typename WeightBlock>
float DotKQuantRow(const void* weights, const void* acts, int64_t k) {
  const auto* w = static_cast<const WeightBlock*>(weights);
  const auto* a = static_cast<const BlockQ8_K*>(acts);
  float total = 0.0f;
  for (int64_t b = 0; b < k / kQKK; ++b) {
    const KQuantLevels l = Decode(w[b]);
    int scaled = 0, mins = 0;
    for (int j = 0; j < 16; ++j) {
      int dot = 0;
      for (int i = 16 * j; i < 16 * j + 16; ++i) dot += l.q[i] * a[b].qs[i];
      scaled += l.scale[j] * dot;
      mins += l.min[j] * a[b].bsums[j];
    }
    total += a[b].d * (l.d * static_cast<float>(scaled) - l.dmin * static_cast<float>(mins));
  }
  return total;
}

inline float LoadF32(const float* p, int64_t i) { return p[i]; }
inline float LoadF16(const Half* p, int64_t i) { return F16ToF32(p[i]); }
inline float LoadBF16(const BFloat16* p, int64_t i) { return Bf16ToF32(p[i]); }

// Sums 32-element chunks separately so rounding error grows with k / 32, not k.
template <typename Element, float (*Load)(const Element*, int64_t)>
float DotFloatRow(const void* weights, const void* acts, int64_t k) {
  const auto* w = static_cast<const Element*>(weights);
  const auto* a = static_cast<const float*>(acts);
  float total = 0.0f;
  for (int64_t start = 0; start < k; start += 32) {
    float chunk = 0.0f;
    for (int64_t i = start; i < std::min<int64_t>(k, start + 32); ++i) chunk += Load(w, i) * a[i];
    total += chunk;
  }
  return total;
}

using DotRowFn = float (*)(const void* weights, const void* acts, int64_t k);

template <DotRowFn Dot>
void MatMulTileScalar(const void* weights, size_t weight_row_bytes, int64_t num_rows, const void* acts,
                      size_t act_row_bytes, int64_t num_acts, int64_t k, float* out, int64_t out_stride) {
  const auto* w = static_cast<const uint8_t*>(weights);
  const auto* a = static_cast<const uint8_t*>(acts);
  for (int64_t act = 0; act < num_acts; ++act) {
    for (int64_t row = 0; row < num_rows; ++row) {
      out[act * out_stride + row] = Dot(w + row * weight_row_bytes, a + act * act_row_bytes, k);
    }
  }
}

MatMulTileFn ScalarMatMulFor(DType weight_type) {
  switch (weight_type) {
    case DType::kF32: return MatMulTileScalar<DotFloatRow<float, LoadF32>>;
    case DType::kF16: return MatMulTileScalar<DotFloatRow<Half, LoadF16>>;
    case DType::kBF16: return MatMulTileScalar<DotFloatRow<BFloat16, LoadBF16>>;
    case DType::kQ4_0: return MatMulTileScalar<DotLegacyRow<BlockQ4_0, BlockQ8_0>>;
    case DType::kQ4_1: return MatMulTileScalar<DotLegacyRow<BlockQ4_1, BlockQ8_1>>;
    case DType::kQ5_0: return MatMulTileScalar<DotLegacyRow<BlockQ5_0, BlockQ8_0>>;
    case DType::kQ5_1: return MatMulTileScalar<DotLegacyRow<BlockQ5_1, BlockQ8_1>>;
    case DType::kQ8_0: return MatMulTileScalar<DotLegacyRow<BlockQ8_0, BlockQ8_0>>;
    case DType::kQ2_K: return MatMulTileScalar<DotKQuantRow<BlockQ2_K>>;
    case DType::kQ3_K: return MatMulTileScalar<DotKQuantRow<BlockQ3_K>>;
    case DType::kQ4_K: return MatMulTileScalar<DotKQuantRow<BlockQ4_K>>;
    case DType::kQ5_K: return MatMulTileScalar<DotKQuantRow<BlockQ5_K>>;
    case DType::kQ6_K: return MatMulTileScalar<DotKQuantRow<BlockQ6_K>>;
    default: return nullptr;
  }
}

QuantizeRowFn ScalarQuantizeFor(DType activation_type) {
  switch (activation_type) {
    case DType::kF32: return CopyF32Row;
    case DType::kQ8_0: return QuantizeQ8_0Row;
    case DType::kQ8_1: return QuantizeQ8_1Row;
    case DType::kQ8_K: return QuantizeQ8_KRow;
    default: return nullptr;
  }
}

bool AlwaysSupported() { return true; }

}  // namespace

void DequantizeRowScalar(DType type, const void* src, float* dst, int64_t n) {
  switch (type) {
    case DType::kF32: std::memcpy(dst, src, n * sizeof(float)); return;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = F16ToF32(static_cast<const Half*>(src)[i]);
      return;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = Bf16ToF32(static_cast<const BFloat16*>(src)[i]);
      return;
    case DType::kQ4_0: return DequantizeLegacyRow<BlockQ4_0>(src, dst, n);
    case DType::kQ4_1: return DequantizeLegacyRow<BlockQ4_1>(src, dst, n);
    case DType::kQ5_0: return DequantizeLegacyRow<BlockQ5_0>(src, dst, n);
    case DType::kQ5_1: return DequantizeLegacyRow<BlockQ5_1>(src, dst, n);
    case DType::kQ8_0: return DequantizeLegacyRow<BlockQ8_0>(src, dst, n);
    case DType::kQ2_K: return DequantizeKQuantRow<BlockQ2_K>(src, dst, n);
    case DType::kQ3_K: return DequantizeKQuantRow<BlockQ3_K>(src, dst, n);
    case DType::kQ4_K: return DequantizeKQuantRow<BlockQ4_K>(src, dst, n);
    case DType::kQ5_K: return DequantizeKQuantRow<BlockQ5_K>(src, dst, n);
    case DType::kQ6_K: return DequantizeKQuantRow<BlockQ6_K>(src, dst, n);
    case DType::kQ8_1:
    case DType::kQ8_K: return DequantizeActivationRow(type, src, dst, n);
    default: std::fill(dst, dst + n, std::nanf("")); return;  // unsupported: make it obvious
  }
}

const IsaKernels& ScalarKernels() {
  static constexpr IsaKernels kTable{"scalar", AlwaysSupported, ScalarMatMulFor, ScalarQuantizeFor};
  return kTable;
}

}  // namespace sgl::cpu::internal
