// AVX2 + FMA + F16C kernels: activation quantization and matmul tiles for every weight
// type, for x86-64 CPUs without AVX-512 VNNI. Promise: same results as quant_scalar.cc up
// to float rounding (activation quantization: bit for bit); runs only where
// cpu_supports() says so.
//
// Same structure as quant_avx512.cc (read that first): streamed weight rows for decode,
// activation rows interleaved into vector lanes (8 here) for prefill. Without VNNI, a
// byte dot product is vpmaddubsw (u8 x s8 -> saturating s16 pairs) then vpmaddwd against
// ones; the unsigned operand must stay small enough that a pair never saturates, so
// Q8_0's signed weights use the abs/sign trick instead of the +128 bias, and prefill sums
// several vpmaddubsw results in 16 bits only as long as that provably cannot overflow.
#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/quant/quant_blocks.h"
#include "backend/cpu/quant/quant_impl.h"
#include "backend/cpu/quant/quant_x86_decode.h"
#include "backend/cpu/quant/quant_x86_stream.h"
#include "backend/cpu/quant/quant_x86_tile.h"

namespace sgl::cpu::internal {
namespace {

constexpr int kGroupActs = 8;  // activation rows per prefill group (ymm lanes)

// ================================ activation quantization ===============================

inline __m256 Abs(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

inline float AbsMax(const float* x, int n) {  // n % 8 == 0
  __m256 m = _mm256_setzero_ps();
  for (int i = 0; i < n; i += 8) m = _mm256_max_ps(m, Abs(_mm256_loadu_ps(x + i)));
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Rounds x * inv_d to nearest-even int32, clamped to [-127, 127].
inline __m256i RoundEight(const float* x, __m256 inv_d) {
  const __m256i v = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x), inv_d));
  return _mm256_max_epi32(_mm256_min_epi32(v, _mm256_set1_epi32(127)), _mm256_set1_epi32(-127));
}

// Packs 32 int32 (four vectors, in order) to 32 int8 in order.
inline __m256i PackToBytes(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);  // lane-interleaved
  const __m256i bytes = _mm256_packs_epi16(ab, cd);
  return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Quantizes 32 floats with step inv_d; returns the sum of the quants.
inline int32_t QuantizeThirtyTwo(const float* x, __m256 inv_d, int8_t* q) {
  const __m256i a = RoundEight(x, inv_d), b = RoundEight(x + 8, inv_d);
  const __m256i c = RoundEight(x + 16, inv_d), d = RoundEight(x + 24, inv_d);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), PackToBytes(a, b, c, d));
  return HorizontalSum(_mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, d)));
}

// Same arithmetic as the scalar quantizer (step rounded to fp16 first), so same bytes.
inline int32_t QuantizeQ8Block(const float* x, Half* d_out, int8_t* q) {
  const Half d_half = _cvtss_sh(AbsMax(x, kQK) / 127.0f, _MM_FROUND_TO_NEAREST_INT);
  const float d = _cvtsh_ss(d_half);
  *d_out = d_half;
  return QuantizeThirtyTwo(x, _mm256_set1_ps(d != 0.0f ? 1.0f / d : 0.0f), q);
}

void QuantizeQ8_0Row(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(out);
  for (int64_t b = 0; b < n / kQK; ++b) QuantizeQ8Block(x + b * kQK, &blocks[b].d, blocks[b].qs);
}

void QuantizeQ8_1Row(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_1*>(out);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const int32_t sum = QuantizeQ8Block(x + b * kQK, &blocks[b].d, blocks[b].qs);
    blocks[b].s = _cvtss_sh(_cvtsh_ss(blocks[b].d) * static_cast<float>(sum), _MM_FROUND_TO_NEAREST_INT);
  }
}

void QuantizeQ8_KRow(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_K*>(out);
  for (int64_t b = 0; b < n / kQKK; ++b) {
    BlockQ8_K& block = blocks[b];
    const float* xb = x + b * kQKK;
    const float d = AbsMax(xb, kQKK) / 127.0f;
    const __m256 inv_d = _mm256_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
    for (int j = 0; j < kQKK / 32; ++j) {
      const __m256i q0 = RoundEight(xb + 32 * j, inv_d), q1 = RoundEight(xb + 32 * j + 8, inv_d);
      const __m256i q2 = RoundEight(xb + 32 * j + 16, inv_d), q3 = RoundEight(xb + 32 * j + 24, inv_d);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(block.qs + 32 * j), PackToBytes(q0, q1, q2, q3));
      block.bsums[2 * j] = static_cast<int16_t>(HorizontalSum(_mm256_add_epi32(q0, q1)));
      block.bsums[2 * j + 1] = static_cast<int16_t>(HorizontalSum(_mm256_add_epi32(q2, q3)));
    }
    block.d = d;
  }
}

void CopyF32Row(const float* x, void* out, int64_t n) { std::memcpy(out, x, n * sizeof(float)); }

// ================================= float weights ========================================

// Loads 8 weights as f32; LoadTail loads the last n < 8 with zeros after them.
struct LoadF32 {
  static __m256 Load(const void* row, int64_t i) { return _mm256_loadu_ps(static_cast<const float*>(row) + i); }
  static float One(const void* row, int64_t i) { return static_cast<const float*>(row)[i]; }
};
struct LoadF16 {
  static __m256 Load(const void* row, int64_t i) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const Half*>(row) + i)));
  }
  static float One(const void* row, int64_t i) { return _cvtsh_ss(static_cast<const Half*>(row)[i]); }
};
struct LoadBF16 {
  static __m256 Load(const void* row, int64_t i) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const BFloat16*>(row) + i));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(raw), 16));
  }
  static float One(const void* row, int64_t i) { return Bf16ToF32(static_cast<const BFloat16*>(row)[i]); }
};

template <typename Loader>
inline __m256 LoadTail(const void* row, int64_t i, int64_t n) {
  alignas(32) float v[8] = {};
  for (int64_t j = 0; j < n; ++j) v[j] = Loader::One(row, i + j);
  return _mm256_load_ps(v);
}

// kRows x kActs dot products over k; each weight vector is converted once and used for
// all kActs activation rows.
template <typename Loader, int kRows, int kActs>
void FloatDotBlock(const uint8_t* weights, size_t weight_row_bytes, const uint8_t* acts, size_t act_row_bytes,
                   int64_t k, float* out, int64_t out_stride) {
  __m256 acc[kRows][kActs];
  for (int r = 0; r < kRows; ++r)
    for (int a = 0; a < kActs; ++a) acc[r][a] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= k; i += 8) {
    __m256 x[kActs];
    for (int a = 0; a < kActs; ++a)
      x[a] = _mm256_loadu_ps(reinterpret_cast<const float*>(acts + a * act_row_bytes) + i);
    for (int r = 0; r < kRows; ++r) {
      const __m256 w = Loader::Load(weights + r * weight_row_bytes, i);
      for (int a = 0; a < kActs; ++a) acc[r][a] = _mm256_fmadd_ps(w, x[a], acc[r][a]);
    }
  }
  if (i < k) {  // the last k % 8 elements, zero-padded
    __m256 x[kActs];
    for (int a = 0; a < kActs; ++a) x[a] = LoadTail<LoadF32>(acts + a * act_row_bytes, i, k - i);
    for (int r = 0; r < kRows; ++r) {
      const __m256 w = LoadTail<Loader>(weights + r * weight_row_bytes, i, k - i);
      for (int a = 0; a < kActs; ++a) acc[r][a] = _mm256_fmadd_ps(w, x[a], acc[r][a]);
    }
  }
  // Fully unrolled so GCC keeps `acc` in registers instead of spilling it every step.
#pragma GCC unroll 32
  for (int r = 0; r < kRows; ++r)
#pragma GCC unroll 32
    for (int a = 0; a < kActs; ++a) out[a * out_stride + r] = HorizontalSum(acc[r][a]);
}

template <typename Loader, int kRows>
void FloatRowBlock(const uint8_t* w, size_t weight_row_bytes, const uint8_t* a, size_t act_row_bytes, int64_t num_acts,
                   int64_t k, float* out, int64_t out_stride) {
  int64_t act = 0;
  for (; act + 3 <= num_acts; act += 3)
    FloatDotBlock<Loader, kRows, 3>(w, weight_row_bytes, a + act * act_row_bytes, act_row_bytes, k,
                                    out + act * out_stride, out_stride);
  for (; act < num_acts; ++act)
    FloatDotBlock<Loader, kRows, 1>(w, weight_row_bytes, a + act * act_row_bytes, act_row_bytes, k,
                                    out + act * out_stride, out_stride);
}

template <typename Loader>
void MatMulTileFloat(const void* weights, size_t weight_row_bytes, int64_t num_rows, const void* acts,
                     size_t act_row_bytes, int64_t num_acts, int64_t k, float* out, int64_t out_stride) {
  const auto* w = static_cast<const uint8_t*>(weights);
  const auto* a = static_cast<const uint8_t*>(acts);
  int64_t row = 0;
  for (; row + 4 <= num_rows; row += 4)
    FloatRowBlock<Loader, 4>(w + row * weight_row_bytes, weight_row_bytes, a, act_row_bytes, num_acts, k, out + row,
                             out_stride);
  for (; row < num_rows; ++row)
    FloatRowBlock<Loader, 1>(w + row * weight_row_bytes, weight_row_bytes, a, act_row_bytes, num_acts, k, out + row,
                             out_stride);
}

// ================================ quantized weights =====================================

// Eight int32 lanes, each the sum of 4 adjacent byte products u * s. REQUIRES: u <= 128
// (so a vpmaddubsw pair, at most 2 * 128 * 127, cannot saturate).
inline __m256i DotBytes(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// As DotBytes for signed weights w: |w| times s with w's sign moved onto s.
inline __m256i DotSignedBytes(__m256i w, __m256i s) { return DotBytes(_mm256_abs_epi8(w), _mm256_sign_epi8(s, w)); }

// Q8_0 is dotted as signed bytes here (see the file comment): its decoded levels are the
// raw quants and no +128 bias applies.
template <typename F>
constexpr bool kSigned = F::kBias == 128;

// --------------------------- prefill: activation groups --------------------------------

// How many 4-byte steps of vpmaddubsw results may be summed in 16 bits (each step adds at
// most 2 * max_level * 127 per lane); a divisor of the steps per sub-block.
template <typename F>
constexpr int kStepsPer16BitSum = [] {
  const int max_level = kSigned<F> ? 128 : F::kMaxLevel;  // |w| <= 128 for signed Q8_0
  int steps = 32767 / (2 * max_level * 127);
  if (steps < 1) steps = 1;
  while ((F::kSub / 4) % steps != 0) --steps;
  return steps;
}();

inline __m256i BroadcastFourBytes(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// BlockValue (quant_x86_decode.h) of outer block o for kRows decoded weight rows x one
// group of 8 activation rows: value[r] holds it for the 8 rows.
template <typename F, int kRows>
inline void GroupBlockValues(const DecodedRow<F>* rows, const ActGroup<F, kGroupActs>& g, int64_t o, __m256* value) {
  constexpr int kSteps = F::kSub / 4;
  constexpr int kFlush = kStepsPer16BitSum<F>;
  const __m256i ones = _mm256_set1_epi16(1);
  const int8_t* quants = g.quants + o * F::kOuter * kGroupActs;
  __m256i total[kRows];
  for (int r = 0; r < kRows; ++r) total[r] = _mm256_setzero_si256();
  for (int s = 0; s < F::kNumSub; ++s) {
    const int64_t sub = o * F::kNumSub + s;
    __m256i dot[kRows];
    for (int r = 0; r < kRows; ++r) {
      dot[r] = F::kBias != 0 && !kSigned<F>
                   ? _mm256_load_si256(reinterpret_cast<const __m256i*>(g.bias + sub * kGroupActs))
                   : _mm256_setzero_si256();
    }
    for (int j0 = 0; j0 < kSteps; j0 += kFlush) {
      __m256i pairs[kRows];
      for (int r = 0; r < kRows; ++r) pairs[r] = _mm256_setzero_si256();
      for (int j = j0; j < j0 + kFlush; ++j) {
        const __m256i a =
            _mm256_load_si256(reinterpret_cast<const __m256i*>(quants + (s * kSteps + j) * 4 * kGroupActs));
        for (int r = 0; r < kRows; ++r) {
          const __m256i w = BroadcastFourBytes(rows[r].levels + o * F::kOuter + s * F::kSub + 4 * j);
          const __m256i p = kSigned<F> ? _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(a, w))
                                       : _mm256_maddubs_epi16(w, a);
          pairs[r] = _mm256_add_epi16(pairs[r], p);
        }
      }
      for (int r = 0; r < kRows; ++r) dot[r] = _mm256_add_epi32(dot[r], _mm256_madd_epi16(pairs[r], ones));
    }
    for (int r = 0; r < kRows; ++r) {
      total[r] = F::kIntScales ? _mm256_add_epi32(
                                     total[r], _mm256_mullo_epi32(dot[r], _mm256_set1_epi32(rows[r].sub_scale[sub])))
                               : dot[r];
    }
  }
  const __m256 act_scale = _mm256_load_ps(g.scale + o * kGroupActs);
  for (int r = 0; r < kRows; ++r) {
    const __m256 scale = _mm256_mul_ps(_mm256_set1_ps(rows[r].outer_scale[o]), act_scale);
    value[r] = _mm256_mul_ps(_mm256_cvtepi32_ps(total[r]), scale);
  }
  if constexpr (F::kMins) {
    __m256i min_dot[kRows];
    for (int r = 0; r < kRows; ++r) min_dot[r] = _mm256_setzero_si256();
    for (int s = 0; s < F::kNumSub; ++s) {
      const int64_t sub = o * F::kNumSub + s;
      const __m256i sums = _mm256_load_si256(reinterpret_cast<const __m256i*>(g.sub_sum + sub * kGroupActs));
      for (int r = 0; r < kRows; ++r) {
        min_dot[r] = F::kIntScales ? _mm256_add_epi32(min_dot[r],
                                                      _mm256_mullo_epi32(sums, _mm256_set1_epi32(rows[r].sub_min[sub])))
                                   : sums;
      }
    }
    for (int r = 0; r < kRows; ++r) {
      const __m256 scale = _mm256_mul_ps(_mm256_set1_ps(rows[r].outer_scale[o]), act_scale);
      const __m256 min_scale = _mm256_mul_ps(_mm256_set1_ps(rows[r].outer_min[o]), act_scale);
      value[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total[r]), scale,
                                 _mm256_mul_ps(_mm256_cvtepi32_ps(min_dot[r]), min_scale));
    }
  }
}

// kRows decoded weight rows x one group of 8 activation rows: result[r] = 8 dot products,
// summed in BlockValue's chains.
template <typename F, int kRows>
void GroupDot(const DecodedRow<F>* rows, const ActGroup<F, kGroupActs>& g, int64_t num_outer, __m256* result) {
  __m256 chain[kNumChains][kRows], value[kRows];
  for (int c = 0; c < kNumChains; ++c)
    for (int r = 0; r < kRows; ++r) chain[c][r] = _mm256_setzero_ps();
  int64_t o = 0;
  for (; o + kNumChains <= num_outer; o += kNumChains) {
#pragma GCC unroll 2
    for (int c = 0; c < kNumChains; ++c) {
      GroupBlockValues<F, kRows>(rows, g, o + c, value);
      for (int r = 0; r < kRows; ++r) chain[c][r] = _mm256_add_ps(chain[c][r], value[r]);
    }
  }
  for (int c = 0; o < num_outer; ++o, ++c) {
    GroupBlockValues<F, kRows>(rows, g, o, value);
    for (int r = 0; r < kRows; ++r) chain[c][r] = _mm256_add_ps(chain[c][r], value[r]);
  }
  for (int r = 0; r < kRows; ++r)
    result[r] = _mm256_add_ps(chain[0][r], chain[1][r]);  // SumChains
}

template <typename F, int kRows>
void GroupDotAndStore(const DecodedRow<F>* rows, const ActGroup<F, kGroupActs>& g, int64_t num_outer, int64_t first_act,
                      int64_t count, float* out, int64_t out_stride) {
  __m256 result[kRows];
  GroupDot<F, kRows>(rows, g, num_outer, result);
  alignas(32) float lanes[kGroupActs];
  for (int r = 0; r < kRows; ++r) {
    _mm256_store_ps(lanes, result[r]);
    for (int64_t i = 0; i < count; ++i) out[(first_act + i) * out_stride + r] = lanes[i];
  }
}

// ------------------------- decode: streaming weight rows ------------------------------

// The policy quant_x86_stream.h's and quant_x86_tile.h's kernels are written against.
struct Avx2Isa {
  static constexpr bool kSignedQ8_0 = true;  // see the file comment

  static __m256i NibbleLevels(const uint8_t* qs) {
    const __m256i both = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
    return _mm256_and_si256(_mm256_srlv_epi64(both, _mm256_setr_epi64x(0, 0, 4, 4)), _mm256_set1_epi8(0x0F));
  }
  // The 32 levels of one legacy block in a register (Q8_0: the raw signed quants).
  template <DType T>
  static __m256i Levels(const uint8_t* block) {
    if constexpr (T == DType::kQ4_0) return NibbleLevels(block + offsetof(BlockQ4_0, qs));
    if constexpr (T == DType::kQ4_1) return NibbleLevels(block + offsetof(BlockQ4_1, qs));
    if constexpr (T == DType::kQ5_0)
      return FiveBitLevels(block + offsetof(BlockQ5_0, qs), block + offsetof(BlockQ5_0, qh));
    if constexpr (T == DType::kQ5_1)
      return FiveBitLevels(block + offsetof(BlockQ5_1, qs), block + offsetof(BlockQ5_1, qh));
    if constexpr (T == DType::kQ8_0) return Load32(block + offsetof(BlockQ8_0, qs));
  }
  static __m256i Dot(__m256i init, __m256i levels, __m256i act) {
    return _mm256_add_epi32(init, DotBytes(levels, act));
  }
  static __m256i DotSigned(__m256i w, __m256i act) { return DotSignedBytes(w, act); }
  static __m256i Dpwssd(__m256i acc, __m256i a, __m256i b) { return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b)); }
  // Without vpermw: a byte shuffle of the scales' low or high half (both 128-bit lanes
  // get that half), picking int16 #2g' for the low lane and #2g'+1 for the high lane.
  static __m256i Q6ScalePair(__m256i scales16, int group) {
    const __m256i half = group < 4 ? _mm256_permute2x128_si256(scales16, scales16, 0x00)
                                   : _mm256_permute2x128_si256(scales16, scales16, 0x11);
    const char lo = static_cast<char>(4 * (group % 4)), hi = static_cast<char>(4 * (group % 4) + 2);
    const __m256i pick = _mm256_setr_epi8(lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo,
                                          lo + 1, lo, lo + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi,
                                          hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1);
    return _mm256_shuffle_epi8(half, pick);
  }
  // Prefill: activation rows per group (vector lanes); leftover rows from which one more
  // zero-padded group beats per-row dot products; weight rows sharing each group load.
  static constexpr int kGroupActs = internal::kGroupActs;
  static constexpr int64_t kMinActsForGroup = 4;
  static constexpr int kPrefillRows = 2;
  template <typename F, int kRows>
  static void GroupDotAndStore(const DecodedRow<F>* rows, const ActGroup<F, kGroupActs>& g, int64_t num_outer,
                               int64_t first_act, int64_t count, float* out, int64_t out_stride) {
    internal::GroupDotAndStore<F, kRows>(rows, g, num_outer, first_act, count, out, out_stride);
  }
};

// ==================================== tables ============================================

// What X86MatMulFor / X86QuantizeFor (quant_x86_tile.h) take from this file.
struct Avx2Table {
  using Isa = Avx2Isa;
  static constexpr MatMulTileFn kF32Tile = MatMulTileFloat<LoadF32>;
  static constexpr MatMulTileFn kF16Tile = MatMulTileFloat<LoadF16>;
  static constexpr MatMulTileFn kBF16Tile = MatMulTileFloat<LoadBF16>;
  static constexpr QuantizeRowFn kCopyF32 = CopyF32Row;
  static constexpr QuantizeRowFn kQuantizeQ8_0 = QuantizeQ8_0Row;
  static constexpr QuantizeRowFn kQuantizeQ8_1 = QuantizeQ8_1Row;
  static constexpr QuantizeRowFn kQuantizeQ8_K = QuantizeQ8_KRow;
};

bool CpuSupportsAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && CpuHasF16c();
}

}  // namespace

const IsaKernels* Avx2Kernels() {
  static constexpr IsaKernels kTable{"avx2", CpuSupportsAvx2, X86MatMulFor<Avx2Table>, X86QuantizeFor<Avx2Table>};
  return &kTable;
}

}  // namespace sgl::cpu::internal

#else  // built without AVX2 support in the compiler flags

#include "backend/cpu/quant/quant_impl.h"

namespace sgl::cpu::internal {
const IsaKernels* Avx2Kernels() { return nullptr; }
}  // namespace sgl::cpu::internal

#endif
