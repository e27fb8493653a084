// Shared by the x86 kernel files: matmul kernels for few activation rows, where every
// weight byte is used a handful of times at most.
//  - StreamMatMul (decode): each weight row is read exactly once, its blocks decoded in
//    registers (no scratch round trip), and dotted with up to kMaxStreamActs activation
//    rows at once. Promise: computes MatMulTile for any num_acts, for the formats where
//    kHasStreamKernel<T>.
//  - DotDecoded: one row already decoded to scratch (DecodedRow) . one activation row; any
//    format. Used for activation rows left over next to prefill groups.
// Both follow BlockValue's arithmetic (quant_x86_decode.h), so their results are bit for
// bit those of the prefill groups.
//
// Parameterised by `Ops`, the including file's instruction-set primitives:
//   kSignedQ8_0                     Q8_0 weights are dotted as signed bytes (no +128 bias)
//   Levels<T>(block)                a legacy block's 32 levels in a register
//   Dot(init, levels, act)          init + per-int32-lane sums of 4 level x act products
//   DotSigned(w, act)               the same for signed weight bytes (kSignedQ8_0 only)
//   Dpwssd(acc, a, b)               acc + pairwise products of int16 lanes
//   Q6ScalePair(scales16, group)    [scale[2g] x8, scale[2g+1] x8] as int16
// (Decoded rows hold Q8_0 as unsigned q + 128 unless Ops::kSignedQ8_0; see DecodeRowFor.)
// Like quant_x86_decode.h, everything has internal linkage: one copy per instruction set.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "backend/cpu/quant/quant_blocks.h"
#include "backend/cpu/quant/quant_x86_decode.h"

namespace sgl::cpu::internal {
namespace {

inline constexpr int kMaxStreamActs = 4;
// How far ahead of the weight row being read to prefetch. Decode streams weights from
// DRAM; the hardware prefetchers alone leave ~20-40% of the bandwidth unused.
inline constexpr int kStreamPrefetchBytes = 4096;

template <DType T>
inline constexpr bool kHasStreamKernel =
    T == DType::kQ4_0 || T == DType::kQ4_1 || T == DType::kQ5_0 || T == DType::kQ5_1 || T == DType::kQ8_0 ||
    T == DType::kQ4_K || T == DType::kQ6_K;

inline void PrefetchAhead(const void* p, int lines) {
  for (int line = 0; line < lines; ++line)
    _mm_prefetch(static_cast<const char*>(p) + kStreamPrefetchBytes + 64 * line, _MM_HINT_T0);
}

// [A, B, A, B]: the exact totals of two int32 lane vectors.
inline __m128i PairTotals(__m256i a, __m256i b) {
  const __m256i pairs = _mm256_hadd_epi32(a, b);
  const __m128i halves = _mm_add_epi32(_mm256_castsi256_si128(pairs), _mm256_extracti128_si256(pairs, 1));
  return _mm_hadd_epi32(halves, halves);
}

// [T0, T1, T2, T3]: the exact totals of four blocks' int32 lane vectors.
inline __m128i QuadTotals(__m256i b0, __m256i b1, __m256i b2, __m256i b3) {
  const __m256i sums = _mm256_hadd_epi32(_mm256_hadd_epi32(b0, b1), _mm256_hadd_epi32(b2, b3));
  return _mm_add_epi32(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
}

// One legacy weight row . kActs activation rows, four blocks per step, in BlockValue's
// arithmetic (quant_x86_decode.h): block values come out in lanes 0, 2, 4, 6, and both
// chains sit in one register (lanes 0 and 2), which adds blocks o, o + 1 then o + 2, o + 3.
// Per step, one fp16 -> f32 conversion gives [d0, m0, d1, m1, ...] for the four blocks;
// times the activation scales that is [d0 a0, m0 a0, ...], the multipliers of
// [dot0, min_dot0, dot1, min_dot1, ...].
template <typename Ops, DType T, int kActs>
void StreamLegacyRow(const uint8_t* w, const PackedAct<Format<T>>* acts, int64_t num_outer, float* results) {
  using F = Format<T>;
  using View = ActBlockView<F>;
  constexpr bool kSignedDot = T == DType::kQ8_0 && Ops::kSignedQ8_0;
  __m128 chains[kActs];
  for (int a = 0; a < kActs; ++a) chains[a] = _mm_setzero_ps();
  auto dot_block = [&](int64_t o, const __m256i& levels, int a) __attribute__((always_inline)) {
    const __m256i q = Load32(View::Quants(acts[a].blocks + o * View::kBytes));
    if constexpr (kSignedDot)
      return Ops::DotSigned(levels, q);
    else
      return Ops::Dot(F::kBias != 0 ? acts[a].bias[o] : _mm256_setzero_si256(), levels, q);
  };
  // Blocks [o, o + n), n <= 4; missing blocks have zero scales and dots, so add +0.
  auto step = [&](int64_t o, int n) __attribute__((always_inline)) {
    const uint8_t* b0 = w + o * F::kBlockBytes;
    PrefetchAhead(b0, (4 * F::kBlockBytes + 63) / 64);  // every line of the four blocks
    // Each block's first 4 bytes: d, then m (Q4_1/Q5_1) or payload.
    int32_t head[4] = {};
    __m256i levels[4];
    for (int i = 0; i < 4; ++i) {
      levels[i] = _mm256_setzero_si256();
      if (i >= n) continue;
      std::memcpy(&head[i], b0 + i * F::kBlockBytes, sizeof(int32_t));
      levels[i] = Ops::template Levels<T>(b0 + i * F::kBlockBytes);
    }
    const __m256 heads = _mm256_cvtph_ps(_mm_setr_epi32(head[0], head[1], head[2], head[3]));
    const __m256i scale_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(2 * n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m128i sum_mask = _mm_cmpgt_epi32(_mm_set1_epi32(n), _mm_setr_epi32(0, 1, 2, 3));
#pragma GCC unroll 4
    for (int a = 0; a < kActs; ++a) {
      // [a0, a0, a1, a1, ...], zero past the row end.
      const __m256 act_scales = n == 4 ? _mm256_loadu_ps(acts[a].scale_dup + 2 * o)
                                       : _mm256_maskload_ps(acts[a].scale_dup + 2 * o, scale_mask);
      const __m256 scales = _mm256_mul_ps(heads, act_scales);
      __m256i dots[4];
      for (int i = 0; i < 4; ++i) dots[i] = i < n ? dot_block(o + i, levels[i], a) : _mm256_setzero_si256();
      const __m128i totals = QuadTotals(dots[0], dots[1], dots[2], dots[3]);
      __m128i sums = _mm_setzero_si128();
      if constexpr (F::kMins) {
        sums = n == 4 ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(acts[a].sub_sum + o))
                      : _mm_maskload_epi32(acts[a].sub_sum + o, sum_mask);
      }
      // [dot0, sum0, dot1, sum1, dot2, sum2, dot3, sum3]
      const __m256 values =
          _mm256_cvtepi32_ps(_mm256_set_m128i(_mm_unpackhi_epi32(totals, sums), _mm_unpacklo_epi32(totals, sums)));
      __m256 block_values;
      if constexpr (F::kMins) {
        const __m256 min_terms = _mm256_movehdup_ps(_mm256_mul_ps(values, scales));  // even lanes: sum * m a
        block_values = _mm256_fmadd_ps(values, scales, min_terms);
      } else {
        block_values = _mm256_mul_ps(values, scales);
      }
      chains[a] = _mm_add_ps(_mm_add_ps(chains[a], _mm256_castps256_ps128(block_values)),
                             _mm256_extractf128_ps(block_values, 1));
    }
  };
  int64_t o = 0;
  for (; o + 4 <= num_outer; o += 4) step(o, 4);
  if (o < num_outer) step(o, static_cast<int>(num_outer - o));
  for (int a = 0; a < kActs; ++a) {
    const float chain[kNumChains] = {_mm_cvtss_f32(chains[a]), _mm_cvtss_f32(_mm_movehl_ps(chains[a], chains[a]))};
    results[a] = SumChains(chain);
  }
}

// One Q4_K row . kActs Q8_K rows. Per 32-element sub-block: nibbles x activations with
// vpmaddubsw (<= 2 * 15 * 127, no saturation), then x the 6-bit scale into int32; the
// mins meet the activations' 16-element sums once per super-block.
template <typename Ops, int kActs>
void StreamQ4KRow(const uint8_t* w, const PackedAct<Format<DType::kQ4_K>>* acts, int64_t num_outer, float* results) {
  using F = Format<DType::kQ4_K>;
  float chains[kActs][kNumChains] = {};
  const __m256i low_mask = _mm256_set1_epi8(0x0F);
  for (int64_t o = 0; o < num_outer; ++o) {
    const auto* b = reinterpret_cast<const BlockQ4_K*>(w) + o;
    PrefetchAhead(b, 3);
    uint32_t packed[3];
    std::memcpy(packed, b->scales, sizeof(packed));
    // Byte j of these words is scale/min j (see UnpackScaleMinsK4), computed 4 at a time.
    const uint32_t scales_lo = packed[0] & 0x3F3F3F3F;
    const uint32_t scales_hi = (packed[2] & 0x0F0F0F0F) | ((packed[0] >> 2) & 0x30303030);
    const uint32_t mins_lo = packed[1] & 0x3F3F3F3F;
    const uint32_t mins_hi = ((packed[2] >> 4) & 0x0F0F0F0F) | ((packed[1] >> 2) & 0x30303030);
    const __m128i scales8 = _mm_cvtsi64_si128(static_cast<int64_t>(scales_lo | uint64_t{scales_hi} << 32));
    const __m128i mins8 = _mm_cvtsi64_si128(static_cast<int64_t>(mins_lo | uint64_t{mins_hi} << 32));
    // (scale | scale << 16) per sub-block: the multiplier for both int16 halves of a lane.
    const __m256i scales32 = _mm256_cvtepu8_epi32(scales8);
    alignas(32) int32_t pairs[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(pairs), _mm256_or_si256(scales32, _mm256_slli_epi32(scales32, 16)));
    const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins8, mins8));  // min j at int16 2j, 2j+1
    __m256i sum[kActs][2];
    for (int a = 0; a < kActs; ++a) sum[a][0] = sum[a][1] = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i packed_levels = Load32(b->qs + 32 * c);
      const __m256i low = _mm256_and_si256(packed_levels, low_mask);
      const __m256i high = _mm256_and_si256(_mm256_srli_epi16(packed_levels, 4), low_mask);
#pragma GCC unroll 4
      for (int a = 0; a < kActs; ++a) {
        const auto* q = reinterpret_cast<const BlockQ8_K*>(acts[a].blocks) + o;
        sum[a][c & 1] = Ops::Dpwssd(sum[a][c & 1], _mm256_maddubs_epi16(low, Load32(q->qs + 64 * c)),
                                    _mm256_set1_epi32(pairs[2 * c]));
        sum[a][c & 1] = Ops::Dpwssd(sum[a][c & 1], _mm256_maddubs_epi16(high, Load32(q->qs + 64 * c + 32)),
                                    _mm256_set1_epi32(pairs[2 * c + 1]));
      }
    }
    const float d = _cvtsh_ss(b->d), outer_min = -_cvtsh_ss(b->dmin);
#pragma GCC unroll 4
    for (int a = 0; a < kActs; ++a) {
      const auto* q = reinterpret_cast<const BlockQ8_K*>(acts[a].blocks) + o;
      const __m256i mins = _mm256_madd_epi16(mins16, Load32(q->bsums));  // min j * (bsum 2j + bsum 2j+1)
      const __m128i totals = PairTotals(_mm256_add_epi32(sum[a][0], sum[a][1]), mins);  // [dot, min dot, ..]
      chains[a][o % kNumChains] +=
          BlockValue<F>(_mm_cvtsi128_si32(totals), d * q->d, _mm_extract_epi32(totals, 1), outer_min * q->d);
    }
  }
  for (int a = 0; a < kActs; ++a) results[a] = SumChains(chains[a]);
}

// One Q6_K row . kActs Q8_K rows. Levels are q + 32 in [0, 64), so vpmaddubsw stays exact
// (<= 2 * 63 * 127); the +32 is taken back through the activations' 16-element sums.
template <typename Ops, int kActs>
void StreamQ6KRow(const uint8_t* w, const PackedAct<Format<DType::kQ6_K>>* acts, int64_t num_outer, float* results) {
  using F = Format<DType::kQ6_K>;
  float chains[kActs][kNumChains] = {};
  const __m256i mask4 = _mm256_set1_epi8(0x0F), mask2 = _mm256_set1_epi8(0x30);
  for (int64_t o = 0; o < num_outer; ++o) {
    const auto* b = reinterpret_cast<const BlockQ6_K*>(w) + o;
    PrefetchAhead(b, 4);
    const __m256i scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b->scales)));
    __m256i sum[kActs][2];
    for (int a = 0; a < kActs; ++a) sum[a][0] = sum[a][1] = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i low_a = Load32(b->ql + 64 * h), low_b = Load32(b->ql + 64 * h + 32);
      const __m256i high = Load32(b->qh + 32 * h);
      const __m256i levels[4] = {
          _mm256_or_si256(_mm256_and_si256(low_a, mask4), _mm256_and_si256(_mm256_slli_epi16(high, 4), mask2)),
          _mm256_or_si256(_mm256_and_si256(low_b, mask4), _mm256_and_si256(_mm256_slli_epi16(high, 2), mask2)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(low_a, 4), mask4), _mm256_and_si256(high, mask2)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(low_b, 4), mask4),
                          _mm256_and_si256(_mm256_srli_epi16(high, 2), mask2))};
      for (int g = 0; g < 4; ++g) {
        const int group = 4 * h + g;  // 32 elements: sub-blocks 2 * group and 2 * group + 1
        const __m256i scale_pair = Ops::Q6ScalePair(scales16, group);
#pragma GCC unroll 4
        for (int a = 0; a < kActs; ++a) {
          const auto* q = reinterpret_cast<const BlockQ8_K*>(acts[a].blocks) + o;
          const __m256i products = _mm256_maddubs_epi16(levels[g], Load32(q->qs + 32 * group));
          sum[a][g & 1] = Ops::Dpwssd(sum[a][g & 1], products, scale_pair);
        }
      }
    }
    const float d = _cvtsh_ss(b->d);
#pragma GCC unroll 4
    for (int a = 0; a < kActs; ++a) {
      const auto* q = reinterpret_cast<const BlockQ8_K*>(acts[a].blocks) + o;
      const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(scales16, Load32(q->bsums)), 5);
      // Summed exactly in int32 first: the offset's lanes pair up sub-blocks differently
      // from the products' lanes, so per-lane values would cancel only after rounding.
      const int32_t total = HorizontalSum(_mm256_sub_epi32(_mm256_add_epi32(sum[a][0], sum[a][1]), offset));
      chains[a][o % kNumChains] += BlockValue<F>(total, d * q->d, 0, 0.0f);
    }
  }
  for (int a = 0; a < kActs; ++a) results[a] = SumChains(chains[a]);
}

template <typename Ops, DType T, int kActs>
void StreamActs(const uint8_t* w, size_t weight_row_bytes, int64_t num_rows, const PackedAct<Format<T>>* acts,
                int64_t num_outer, float* out, int64_t out_stride) {
  for (int64_t r = 0; r < num_rows; ++r) {
    float results[kActs];
    const uint8_t* row = w + r * weight_row_bytes;
    if constexpr (T == DType::kQ4_K)
      StreamQ4KRow<Ops, kActs>(row, acts, num_outer, results);
    else if constexpr (T == DType::kQ6_K)
      StreamQ6KRow<Ops, kActs>(row, acts, num_outer, results);
    else
      StreamLegacyRow<Ops, T, kActs>(row, acts, num_outer, results);
    for (int a = 0; a < kActs; ++a) out[a * out_stride + r] = results[a];
  }
}

// All num_acts activation rows, in as few passes over the weights as possible, with the
// rows split evenly between passes (5 = 3 + 2, not 4 + 1).
template <typename Ops, DType T>
void StreamMatMul(const uint8_t* w, size_t weight_row_bytes, int64_t num_rows, const PackedAct<Format<T>>* acts,
                  int64_t num_acts, int64_t num_outer, float* out, int64_t out_stride) {
  const int64_t passes = (num_acts + kMaxStreamActs - 1) / kMaxStreamActs;
  int64_t first = 0;
  for (int64_t p = 0; p < passes; ++p) {
    const int64_t count = (num_acts - first) / (passes - p);
    float* dst = out + first * out_stride;
    switch (count) {
      case 1: StreamActs<Ops, T, 1>(w, weight_row_bytes, num_rows, acts + first, num_outer, dst, out_stride); break;
      case 2: StreamActs<Ops, T, 2>(w, weight_row_bytes, num_rows, acts + first, num_outer, dst, out_stride); break;
      case 3: StreamActs<Ops, T, 3>(w, weight_row_bytes, num_rows, acts + first, num_outer, dst, out_stride); break;
      default: StreamActs<Ops, T, 4>(w, weight_row_bytes, num_rows, acts + first, num_outer, dst, out_stride); break;
    }
    first += count;
  }
}

// ------------------------------- decoded rows ----------------------------------------

// [s[0] x4, s[1] x4]: the int32 lanes covering two 16-element sub-blocks.
inline __m256i ScalePair(const int32_t* s) {
  return _mm256_permutevar8x32_epi32(_mm256_castsi128_si256(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(s))),
                                     _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1));
}

// Decodes a weight row for this instruction set: Format<T>::Decode, except that Q8_0
// keeps its raw signed quants where Ops dots them signed.
template <typename Ops, typename F>
void DecodeRowFor(const DecodedRow<F>& row, const uint8_t* src, int64_t num_outer) {
  if constexpr (Ops::kSignedQ8_0 && F::kBias == 128) {
    for (int64_t o = 0; o < num_outer; ++o) {
      const auto* b = reinterpret_cast<const BlockQ8_0*>(src) + o;
      std::memcpy(row.levels + o * kQK, b->qs, kQK);
      row.outer_scale[o] = _cvtsh_ss(b->d);
    }
  } else {
    row.Decode(src, num_outer);
  }
}

// One decoded weight row (from DecodeRowFor<Ops>) . one packed activation row.
template <typename Ops, typename F>
float DotDecoded(const DecodedRow<F>& w, const PackedAct<F>& act, int64_t num_outer) {
  using View = ActBlockView<F>;
  constexpr int kChunks = F::kOuter / 32;
  constexpr bool kSignedDot = Ops::kSignedQ8_0 && F::kBias == 128;
  float chains[kNumChains] = {};
  for (int64_t o = 0; o < num_outer; ++o) {
    const int8_t* q = View::Quants(act.blocks + o * View::kBytes);
    const uint8_t* levels = w.levels + o * F::kOuter;
    __m256i total = _mm256_setzero_si256();
    for (int c = 0; c < kChunks; ++c) {
      __m256i dot;
      if constexpr (kSignedDot) {
        dot = Ops::DotSigned(Load32(levels + 32 * c), Load32(q + 32 * c));
      } else {
        const __m256i init = F::kBias != 0 ? act.bias[o * kChunks + c] : _mm256_setzero_si256();
        dot = Ops::Dot(init, Load32(levels + 32 * c), Load32(q + 32 * c));
      }
      if constexpr (!F::kIntScales) {
        total = dot;
      } else if constexpr (F::kSub == 32) {
        total = _mm256_add_epi32(total, _mm256_mullo_epi32(dot, _mm256_set1_epi32(w.sub_scale[o * F::kNumSub + c])));
      } else {
        total = _mm256_add_epi32(total, _mm256_mullo_epi32(dot, ScalePair(w.sub_scale + o * F::kNumSub + 2 * c)));
      }
    }
    const float act_scale = act.scale[o];
    if constexpr (F::kMins) {
      chains[o % kNumChains] += BlockValue<F>(HorizontalSum(total), w.outer_scale[o] * act_scale,
                                     w.MinDot(o, act.sub_sum + o * F::kNumSub), w.outer_min[o] * act_scale);
    } else {
      chains[o % kNumChains] += BlockValue<F>(HorizontalSum(total), w.outer_scale[o] * act_scale, 0, 0.0f);
    }
  }
  return SumChains(chains);
}

}  // namespace
}  // namespace sgl::cpu::internal
