// AVX-512 (F/BW/VL/DQ + VNNI) kernels: activation quantization and matmul tiles for every
// weight type. Promise: same results as quant_scalar.cc up to float rounding (activation
// quantization bit for bit); runs only where cpu_supports() says so.
//
// Quantized weights take one of two paths (chosen in quant_x86_tile.h):
//  - Few activation rows (decode; kernels in quant_x86_stream.h, primitives in
//    Avx512Isa below): each weight row is read once per pass of up to 4 activation rows,
//    one 32-byte vpdpbusd per block and activation row.
//  - Many activation rows (prefill; GroupDot below): 16 activation rows are interleaved
//    so that one zmm holds the same 4 bytes of all 16 (lanes = activation rows). A weight
//    row is decoded once to unsigned bytes (quant_x86_decode.h); each 4-byte group is then
//    broadcast and multiplied into all 16 rows by a single vpdpbusd, and the per-block
//    float scaling happens once per 16 dot products instead of once per dot product.
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__) && \
    defined(__AVX512VNNI__)

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

// GCC 12's AVX-512 extract/reduce intrinsics start from _mm256_undefined_*(), which trips
// false (maybe-)uninitialized warnings.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace sgl::cpu::internal {
namespace {

constexpr int kGroupActs = 16;  // activation rows per prefill group (zmm lanes)

// ================================ activation quantization ===============================

inline float AbsMax(const float* x, int n) {  // n % 16 == 0
  __m512 m = _mm512_setzero_ps();
  for (int i = 0; i < n; i += 16) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
  return _mm512_reduce_max_ps(m);
}

// Rounds x * inv_d to nearest-even int8 clamped to [-127, 127], 16 at a time; returns the
// int32 values too so callers can sum them.
inline __m512i QuantizeSixteen(const float* x, __m512 inv_d, int8_t* q) {
  const __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x), inv_d));
  const __m512i clamped = _mm512_max_epi32(_mm512_min_epi32(v, _mm512_set1_epi32(127)), _mm512_set1_epi32(-127));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm512_cvtepi32_epi8(clamped));
  return clamped;
}

// Same arithmetic as the scalar quantizer (step rounded to fp16 first), so same bytes.
inline __m512i QuantizeQ8Block(const float* x, Half* d_out, int8_t* q) {
  const Half d_half = _cvtss_sh(AbsMax(x, kQK) / 127.0f, _MM_FROUND_TO_NEAREST_INT);
  const float d = _cvtsh_ss(d_half);
  const __m512 inv_d = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
  *d_out = d_half;
  return _mm512_add_epi32(QuantizeSixteen(x, inv_d, q), QuantizeSixteen(x + 16, inv_d, q + 16));
}

void QuantizeQ8_0Row(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(out);
  for (int64_t b = 0; b < n / kQK; ++b) QuantizeQ8Block(x + b * kQK, &blocks[b].d, blocks[b].qs);
}

void QuantizeQ8_1Row(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_1*>(out);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const int sum = _mm512_reduce_add_epi32(QuantizeQ8Block(x + b * kQK, &blocks[b].d, blocks[b].qs));
    blocks[b].s = _cvtss_sh(_cvtsh_ss(blocks[b].d) * static_cast<float>(sum), _MM_FROUND_TO_NEAREST_INT);
  }
}

void QuantizeQ8_KRow(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_K*>(out);
  for (int64_t b = 0; b < n / kQKK; ++b) {
    BlockQ8_K& block = blocks[b];
    const float* xb = x + b * kQKK;
    const float d = AbsMax(xb, kQKK) / 127.0f;
    const __m512 inv_d = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
    __m512i sums[16];  // the int32 quants of each 16-element group
    for (int j = 0; j < 16; ++j) sums[j] = QuantizeSixteen(xb + 16 * j, inv_d, block.qs + 16 * j);
    alignas(64) int32_t bsums[16];
    for (int j = 0; j < 16; ++j) bsums[j] = _mm512_reduce_add_epi32(sums[j]);
    for (int j = 0; j < 16; ++j) block.bsums[j] = static_cast<int16_t>(bsums[j]);
    block.d = d;
  }
}

void CopyF32Row(const float* x, void* out, int64_t n) { std::memcpy(out, x, n * sizeof(float)); }

// ================================= float weights ========================================

// Loads 16 weights (fewer under `mask`, rest zero) as f32.
struct LoadF32 {
  static __m512 Load(const void* row, int64_t i, __mmask16 mask) {
    return _mm512_maskz_loadu_ps(mask, static_cast<const float*>(row) + i);
  }
};
struct LoadF16 {
  static __m512 Load(const void* row, int64_t i, __mmask16 mask) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, static_cast<const Half*>(row) + i));
  }
};
struct LoadBF16 {
  static __m512 Load(const void* row, int64_t i, __mmask16 mask) {
    const __m512i wide = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mask, static_cast<const BFloat16*>(row) + i));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
  }
};

// kRows x kActs dot products over k, weights converted once per 16 elements and reused
// for all kActs activation rows.
template <typename Loader, int kRows, int kActs>
void FloatDotBlock(const uint8_t* weights, size_t weight_row_bytes, const uint8_t* acts, size_t act_row_bytes,
                   int64_t k, float* out, int64_t out_stride) {
  __m512 acc[kRows][kActs];
  for (int r = 0; r < kRows; ++r)
    for (int a = 0; a < kActs; ++a) acc[r][a] = _mm512_setzero_ps();
  for (int64_t i = 0; i < k; i += 16) {
    // The last step may be partial; masked-off lanes load as zero.
    const __mmask16 mask = k - i >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << (k - i)) - 1);
    __m512 x[kActs];
    for (int a = 0; a < kActs; ++a)
      x[a] = _mm512_maskz_loadu_ps(mask, reinterpret_cast<const float*>(acts + a * act_row_bytes) + i);
    for (int r = 0; r < kRows; ++r) {
      const __m512 w = Loader::Load(weights + r * weight_row_bytes, i, mask);
      for (int a = 0; a < kActs; ++a) acc[r][a] = _mm512_fmadd_ps(w, x[a], acc[r][a]);
    }
  }
  // Fully unrolled so GCC keeps `acc` in registers instead of spilling it every step.
#pragma GCC unroll 32
  for (int r = 0; r < kRows; ++r)
#pragma GCC unroll 32
    for (int a = 0; a < kActs; ++a) out[a * out_stride + r] = _mm512_reduce_add_ps(acc[r][a]);
}

// Rows in blocks of kRows; activation rows in blocks of 4 (then 1 at a time).
template <typename Loader, int kRows>
void FloatRowBlock(const uint8_t* w, size_t weight_row_bytes, const uint8_t* a, size_t act_row_bytes, int64_t num_acts,
                   int64_t k, float* out, int64_t out_stride) {
  int64_t act = 0;
  for (; act + 4 <= num_acts; act += 4)
    FloatDotBlock<Loader, kRows, 4>(w, weight_row_bytes, a + act * act_row_bytes, act_row_bytes, k,
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
  if (num_acts < 4) {  // decode: more rows per pass keeps enough FMA chains in flight
    for (; row + 8 <= num_rows; row += 8)
      FloatRowBlock<Loader, 8>(w + row * weight_row_bytes, weight_row_bytes, a, act_row_bytes, num_acts, k, out + row,
                               out_stride);
  }
  for (; row + 4 <= num_rows; row += 4)
    FloatRowBlock<Loader, 4>(w + row * weight_row_bytes, weight_row_bytes, a, act_row_bytes, num_acts, k, out + row,
                             out_stride);
  for (; row < num_rows; ++row)
    FloatRowBlock<Loader, 1>(w + row * weight_row_bytes, weight_row_bytes, a, act_row_bytes, num_acts, k, out + row,
                             out_stride);
}

// ================================ quantized weights =====================================

inline __m512i BroadcastFourBytes(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// BlockValue (quant_x86_decode.h) of outer block o for kRows decoded weight rows x one
// activation group: value[r] holds it for the 16 activation rows.
template <typename F, int kRows>
inline void GroupBlockValues(const DecodedRow<F>* rows, const ActGroup<F, kGroupActs>& g, int64_t o, __m512* value) {
  constexpr int kSteps = F::kSub / 4;  // 4-byte steps per sub-block
  const int8_t* quants = g.quants + o * F::kOuter * kGroupActs;
  __m512i total[kRows];
  for (int r = 0; r < kRows; ++r) total[r] = _mm512_setzero_si512();
  for (int s = 0; s < F::kNumSub; ++s) {
    const int64_t sub = o * F::kNumSub + s;
    __m512i dot[kRows];
    const __m512i init = F::kBias != 0 ? _mm512_load_si512(g.bias + sub * kGroupActs) : _mm512_setzero_si512();
    for (int r = 0; r < kRows; ++r) dot[r] = init;
    for (int j = 0; j < kSteps; ++j) {
      const __m512i a = _mm512_load_si512(quants + (s * kSteps + j) * 4 * kGroupActs);
      for (int r = 0; r < kRows; ++r) {
        const __m512i w = BroadcastFourBytes(rows[r].levels + o * F::kOuter + s * F::kSub + 4 * j);
        dot[r] = _mm512_dpbusd_epi32(dot[r], w, a);
      }
    }
    for (int r = 0; r < kRows; ++r) {
      total[r] = F::kIntScales ? _mm512_add_epi32(
                                     total[r], _mm512_mullo_epi32(dot[r], _mm512_set1_epi32(rows[r].sub_scale[sub])))
                               : dot[r];
    }
  }
  const __m512 act_scale = _mm512_load_ps(g.scale + o * kGroupActs);
  for (int r = 0; r < kRows; ++r) {
    const __m512 scale = _mm512_mul_ps(_mm512_set1_ps(rows[r].outer_scale[o]), act_scale);
    value[r] = _mm512_mul_ps(_mm512_cvtepi32_ps(total[r]), scale);
  }
  if constexpr (F::kMins) {
    __m512i min_dot[kRows];
    for (int r = 0; r < kRows; ++r) min_dot[r] = _mm512_setzero_si512();
    for (int s = 0; s < F::kNumSub; ++s) {
      const int64_t sub = o * F::kNumSub + s;
      const __m512i sums = _mm512_load_si512(g.sub_sum + sub * kGroupActs);
      for (int r = 0; r < kRows; ++r) {
        min_dot[r] = F::kIntScales ? _mm512_add_epi32(min_dot[r],
                                                      _mm512_mullo_epi32(sums, _mm512_set1_epi32(rows[r].sub_min[sub])))
                                   : sums;
      }
    }
    for (int r = 0; r < kRows; ++r) {
      const __m512 scale = _mm512_mul_ps(_mm512_set1_ps(rows[r].outer_scale[o]), act_scale);
      const __m512 min_scale = _mm512_mul_ps(_mm512_set1_ps(rows[r].outer_min[o]), act_scale);
      value[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total[r]), scale,
                                 _mm512_mul_ps(_mm512_cvtepi32_ps(min_dot[r]), min_scale));
    }
  }
}

// kRows decoded weight rows x one activation group: result[r] holds the 16 dot products,
// summed in BlockValue's chains.
template <typename F, int kRows>
void GroupDot(const DecodedRow<F>* rows, const ActGroup<F, kGroupActs>& g, int64_t num_outer, __m512* result) {
  __m512 chain[kNumChains][kRows], value[kRows];
  for (int c = 0; c < kNumChains; ++c)
    for (int r = 0; r < kRows; ++r) chain[c][r] = _mm512_setzero_ps();
  int64_t o = 0;
  for (; o + kNumChains <= num_outer; o += kNumChains) {
#pragma GCC unroll 2
    for (int c = 0; c < kNumChains; ++c) {
      GroupBlockValues<F, kRows>(rows, g, o + c, value);
      for (int r = 0; r < kRows; ++r) chain[c][r] = _mm512_add_ps(chain[c][r], value[r]);
    }
  }
  for (int c = 0; o < num_outer; ++o, ++c) {
    GroupBlockValues<F, kRows>(rows, g, o, value);
    for (int r = 0; r < kRows; ++r) chain[c][r] = _mm512_add_ps(chain[c][r], value[r]);
  }
  for (int r = 0; r < kRows; ++r)
    result[r] = _mm512_add_ps(chain[0][r], chain[1][r]);  // SumChains
}

template <typename F, int kRows>
void GroupDotAndStore(const DecodedRow<F>* rows, const ActGroup<F, kGroupActs>& g, int64_t num_outer, int64_t first_act,
                      int64_t count, float* out, int64_t out_stride) {
  __m512 result[kRows];
  GroupDot<F, kRows>(rows, g, num_outer, result);
  alignas(64) float lanes[kGroupActs];
  for (int r = 0; r < kRows; ++r) {
    _mm512_store_ps(lanes, result[r]);
    for (int64_t i = 0; i < count; ++i) out[(first_act + i) * out_stride + r] = lanes[i];
  }
}

// ------------------------- decode: streaming weight rows ------------------------------

// The policy quant_x86_stream.h's and quant_x86_tile.h's kernels are written against.
struct Avx512Isa {
  static constexpr bool kSignedQ8_0 = false;  // vpdpbusd takes Q8_0 as level = q + 128

  static __m256i NibbleLevels(const uint8_t* qs) {
    const __m256i both = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
    return _mm256_and_si256(_mm256_srlv_epi64(both, _mm256_setr_epi64x(0, 0, 4, 4)), _mm256_set1_epi8(0x0F));
  }
  static __m256i WithFifthBit(__m256i levels, const uint8_t* qh) {
    uint32_t bits;
    std::memcpy(&bits, qh, sizeof(bits));
    return _mm256_mask_add_epi8(levels, _cvtu32_mask32(bits), levels, _mm256_set1_epi8(16));
  }
  // The 32 levels of one legacy block (what Format<T>::Decode stores), in a register.
  template <DType T>
  static __m256i Levels(const uint8_t* block) {
    if constexpr (T == DType::kQ4_0) return NibbleLevels(block + offsetof(BlockQ4_0, qs));
    if constexpr (T == DType::kQ4_1) return NibbleLevels(block + offsetof(BlockQ4_1, qs));
    if constexpr (T == DType::kQ5_0)
      return WithFifthBit(NibbleLevels(block + offsetof(BlockQ5_0, qs)), block + offsetof(BlockQ5_0, qh));
    if constexpr (T == DType::kQ5_1)
      return WithFifthBit(NibbleLevels(block + offsetof(BlockQ5_1, qs)), block + offsetof(BlockQ5_1, qh));
    if constexpr (T == DType::kQ8_0)
      return _mm256_xor_si256(Load32(block + offsetof(BlockQ8_0, qs)), _mm256_set1_epi8(static_cast<char>(0x80)));
  }
  static __m256i Dot(__m256i init, __m256i levels, __m256i act) { return _mm256_dpbusd_epi32(init, levels, act); }
  static __m256i DotSigned(__m256i, __m256i) { return _mm256_setzero_si256(); }  // unused: !kSignedQ8_0
  static __m256i Dpwssd(__m256i acc, __m256i a, __m256i b) { return _mm256_dpwssd_epi32(acc, a, b); }
  static __m256i Q6ScalePair(__m256i scales16, int group) {
    const __m256i pick = _mm256_set_m128i(_mm_set1_epi16(static_cast<short>(2 * group + 1)),
                                          _mm_set1_epi16(static_cast<short>(2 * group)));
    return _mm256_permutexvar_epi16(pick, scales16);
  }
  // Prefill: activation rows per group (vector lanes); leftover rows from which one more
  // zero-padded group beats per-row dot products; weight rows sharing each group load.
  static constexpr int kGroupActs = internal::kGroupActs;
  static constexpr int64_t kMinActsForGroup = 8;
  static constexpr int kPrefillRows = 4;
  template <typename F, int kRows>
  static void GroupDotAndStore(const DecodedRow<F>* rows, const ActGroup<F, kGroupActs>& g, int64_t num_outer,
                               int64_t first_act, int64_t count, float* out, int64_t out_stride) {
    internal::GroupDotAndStore<F, kRows>(rows, g, num_outer, first_act, count, out, out_stride);
  }
};

// ==================================== tables ============================================

// What X86MatMulFor / X86QuantizeFor (quant_x86_tile.h) take from this file.
struct Avx512Table {
  using Isa = Avx512Isa;
  static constexpr MatMulTileFn kF32Tile = MatMulTileFloat<LoadF32>;
  static constexpr MatMulTileFn kF16Tile = MatMulTileFloat<LoadF16>;
  static constexpr MatMulTileFn kBF16Tile = MatMulTileFloat<LoadBF16>;
  static constexpr QuantizeRowFn kCopyF32 = CopyF32Row;
  static constexpr QuantizeRowFn kQuantizeQ8_0 = QuantizeQ8_0Row;
  static constexpr QuantizeRowFn kQuantizeQ8_1 = QuantizeQ8_1Row;
  static constexpr QuantizeRowFn kQuantizeQ8_K = QuantizeQ8_KRow;
};

bool CpuSupportsAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         CpuHasF16c();
}

}  // namespace

const IsaKernels* Avx512Kernels() {
  static constexpr IsaKernels kTable{"avx512", CpuSupportsAvx512, X86MatMulFor<Avx512Table>, X86QuantizeFor<Avx512Table>};
  return &kTable;
}

}  // namespace sgl::cpu::internal

#else  // built without AVX-512 support in the compiler flags

#include "backend/cpu/quant/quant_impl.h"

namespace sgl::cpu::internal {
const IsaKernels* Avx512Kernels() { return nullptr; }
}  // namespace sgl::cpu::internal

#endif
