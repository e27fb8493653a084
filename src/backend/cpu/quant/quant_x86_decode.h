// Shared by the x86 kernel files (quant_avx2.cc, quant_avx512.cc): a uniform integer view
// of every quantized weight format, and AVX2 code that decodes weight blocks into it.
// Promise: for every format F, weight element i of an "outer" block (32 or 256 elements) is
//   outer_scale * sub_scale[i / F::kSub] * (level[i] - F::kBias)
//     + outer_min * sub_min[i / F::kSub]
// with level[i] an unsigned byte <= F::kMaxLevel (sub_scale and sub_min are 1 when
// !F::kIntScales, outer_min is 0 when !F::kMins). Kernels then need a single unsigned x
// signed byte dot product per sub-block. Also here: BlockValue, the float arithmetic every
// x86 path shares (see there), the kernel-ready layouts built from that view (DecodedRow,
// PackedAct, ActGroup) and per-call scratch memory.
//
// Everything here has internal linkage (anonymous namespace) on purpose: each including
// file is compiled for a different instruction set, and a shared out-of-line copy would
// let the linker pick, say, an AVX-512 build of a helper for the AVX2 path.
#pragma once

#if !defined(__AVX2__) || !defined(__FMA__) || !defined(__F16C__)
#error "quant_x86_decode.h needs -mavx2 -mfma -mf16c"
#endif

#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "backend/cpu/quant/quant_blocks.h"
#include "base/dtype.h"

namespace sgl::cpu::internal {
namespace {

// ------------------------------- small helpers -----------------------------------------

inline float LoadHalf(const void* p) {
  Half h;
  std::memcpy(&h, p, sizeof(h));
  return _cvtsh_ss(h);
}

inline int32_t HorizontalSum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Sum of 32 signed bytes (|sum| <= 4096), via the unsigned sum-of-absolute-differences.
inline int32_t SumBytes32(const int8_t* p) {
  const __m256i biased = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)),
                                          _mm256_set1_epi8(static_cast<char>(0x80)));
  return HorizontalSum(_mm256_sad_epu8(biased, _mm256_setzero_si256())) - 32 * 128;
}

// 16 nibbles -> 32 bytes: the low nibbles, then the high nibbles (the legacy order).
inline __m256i SplitNibbles(__m128i packed) {
  const __m128i mask = _mm_set1_epi8(0x0F);
  const __m128i low = _mm_and_si128(packed, mask);
  const __m128i high = _mm_and_si128(_mm_srli_epi16(packed, 4), mask);
  return _mm256_inserti128_si256(_mm256_castsi128_si256(low), high, 1);
}

// Byte i of the result is 0xFF when bit i of `bits` is set.
inline __m256i BitsToByteMask(uint32_t bits) {
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(bits)),
      _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
  const __m256i select = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ULL));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
}

inline void Store32(uint8_t* dst, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), v); }
inline __m256i Load32(const void* src) { return _mm256_loadu_si256(static_cast<const __m256i*>(src)); }

// ----------------------------- weight formats ------------------------------------------

// Output of Format<T>::Decode for one outer block.
struct DecodedBlock {
  uint8_t* levels;     // kOuter bytes
  float* outer_scale;  // 1
  int32_t* sub_scale;  // kNumSub (written only when kIntScales)
  float* outer_min;    // 1 (written only when kMins)
  int32_t* sub_min;    // kNumSub (written only when kMins && kIntScales)
};

template <DType T>
struct Format;

struct LegacyShape {
  static constexpr int kOuter = 32, kSub = 32, kNumSub = 1;
  static constexpr bool kIntScales = false;
};

template <>
struct Format<DType::kQ4_0> : LegacyShape {
  static constexpr size_t kBlockBytes = sizeof(BlockQ4_0);
  static constexpr int kMaxLevel = 15;
  static constexpr int kBias = 8;
  static constexpr bool kMins = false;
  static constexpr DType kActType = DType::kQ8_0;
  static void Decode(const uint8_t* src, DecodedBlock out) {
    const auto* b = reinterpret_cast<const BlockQ4_0*>(src);
    Store32(out.levels, SplitNibbles(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b->qs))));
    *out.outer_scale = _cvtsh_ss(b->d);
  }
};

template <>
struct Format<DType::kQ4_1> : LegacyShape {
  static constexpr size_t kBlockBytes = sizeof(BlockQ4_1);
  static constexpr int kMaxLevel = 15;
  static constexpr int kBias = 0;
  static constexpr bool kMins = true;
  static constexpr DType kActType = DType::kQ8_1;
  static void Decode(const uint8_t* src, DecodedBlock out) {
    const auto* b = reinterpret_cast<const BlockQ4_1*>(src);
    Store32(out.levels, SplitNibbles(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b->qs))));
    *out.outer_scale = _cvtsh_ss(b->d);
    *out.outer_min = _cvtsh_ss(b->m);
  }
};

inline __m256i FiveBitLevels(const uint8_t* qs, const uint8_t* qh) {
  uint32_t high_bits;
  std::memcpy(&high_bits, qh, sizeof(high_bits));
  const __m256i low = SplitNibbles(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
  const __m256i high = _mm256_and_si256(BitsToByteMask(high_bits), _mm256_set1_epi8(0x10));
  return _mm256_or_si256(low, high);
}

template <>
struct Format<DType::kQ5_0> : LegacyShape {
  static constexpr size_t kBlockBytes = sizeof(BlockQ5_0);
  static constexpr int kMaxLevel = 31;
  static constexpr int kBias = 16;
  static constexpr bool kMins = false;
  static constexpr DType kActType = DType::kQ8_0;
  static void Decode(const uint8_t* src, DecodedBlock out) {
    const auto* b = reinterpret_cast<const BlockQ5_0*>(src);
    Store32(out.levels, FiveBitLevels(b->qs, b->qh));
    *out.outer_scale = _cvtsh_ss(b->d);
  }
};

template <>
struct Format<DType::kQ5_1> : LegacyShape {
  static constexpr size_t kBlockBytes = sizeof(BlockQ5_1);
  static constexpr int kMaxLevel = 31;
  static constexpr int kBias = 0;
  static constexpr bool kMins = true;
  static constexpr DType kActType = DType::kQ8_1;
  static void Decode(const uint8_t* src, DecodedBlock out) {
    const auto* b = reinterpret_cast<const BlockQ5_1*>(src);
    Store32(out.levels, FiveBitLevels(b->qs, b->qh));
    *out.outer_scale = _cvtsh_ss(b->d);
    *out.outer_min = _cvtsh_ss(b->m);
  }
};

// Signed bytes become unsigned by flipping the sign bit (adding 128); kBias undoes it.
template <>
struct Format<DType::kQ8_0> : LegacyShape {
  static constexpr size_t kBlockBytes = sizeof(BlockQ8_0);
  static constexpr int kMaxLevel = 255;
  static constexpr int kBias = 128;
  static constexpr bool kMins = false;
  static constexpr DType kActType = DType::kQ8_0;
  static void Decode(const uint8_t* src, DecodedBlock out) {
    const auto* b = reinterpret_cast<const BlockQ8_0*>(src);
    Store32(out.levels, _mm256_xor_si256(Load32(b->qs), _mm256_set1_epi8(static_cast<char>(0x80))));
    *out.outer_scale = _cvtsh_ss(b->d);
  }
};

template <int kSubSize>
struct KQuantShape {
  static constexpr int kOuter = kQKK, kSub = kSubSize, kNumSub = kQKK / kSubSize;
  static constexpr bool kIntScales = true;
  static constexpr DType kActType = DType::kQ8_K;
};

// The 2-bit fields of Q2_K/Q3_K: 32 bytes of qs hold 4 groups of 32 elements.
inline void StoreTwoBitLevels(const uint8_t* qs32, uint8_t* levels128) {
  const __m256i packed = Load32(qs32);
  const __m256i mask = _mm256_set1_epi8(3);
  Store32(levels128, _mm256_and_si256(packed, mask));
  Store32(levels128 + 32, _mm256_and_si256(_mm256_srli_epi16(packed, 2), mask));
  Store32(levels128 + 64, _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask));
  Store32(levels128 + 96, _mm256_and_si256(_mm256_srli_epi16(packed, 6), mask));
}

template <>
struct Format<DType::kQ2_K> : KQuantShape<16> {
  static constexpr size_t kBlockBytes = sizeof(BlockQ2_K);
  static constexpr int kMaxLevel = 3;
  static constexpr int kBias = 0;
  static constexpr bool kMins = true;
  static void Decode(const uint8_t* src, DecodedBlock out) {
    const auto* b = reinterpret_cast<const BlockQ2_K*>(src);
    StoreTwoBitLevels(b->qs, out.levels);
    StoreTwoBitLevels(b->qs + 32, out.levels + 128);
    for (int j = 0; j < 16; ++j) {
      out.sub_scale[j] = b->scales[j] & 0x0F;
      out.sub_min[j] = b->scales[j] >> 4;
    }
    *out.outer_min = -_cvtsh_ss(b->dmin);
    *out.outer_scale = _cvtsh_ss(b->d);
  }
};

template <>
struct Format<DType::kQ3_K> : KQuantShape<16> {
  static constexpr size_t kBlockBytes = sizeof(BlockQ3_K);
  static constexpr int kMaxLevel = 7;
  static constexpr int kBias = 4;
  static constexpr bool kMins = false;
  static void Decode(const uint8_t* src, DecodedBlock out) {
    const auto* b = reinterpret_cast<const BlockQ3_K*>(src);
    StoreTwoBitLevels(b->qs, out.levels);
    StoreTwoBitLevels(b->qs + 32, out.levels + 128);
    // Group g (32 elements) takes its third bit from bit g of each hmask byte.
    const __m256i hmask = Load32(b->hmask);
    const __m256i four = _mm256_set1_epi8(4);
    for (int g = 0; g < 8; ++g) {
      const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << g));
      const __m256i high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hmask, bit), bit), four);
      Store32(out.levels + 32 * g, _mm256_or_si256(Load32(out.levels + 32 * g), high));
    }
    for (int j = 0; j < 16; ++j) {
      const int low4 = (j < 8 ? b->scales[j] : b->scales[j - 8] >> 4) & 0x0F;
      const int high2 = (b->scales[8 + j % 4] >> (2 * (j / 4))) & 3;
      out.sub_scale[j] = (low4 | high2 << 4) - 32;
    }
    *out.outer_scale = _cvtsh_ss(b->d);
  }
};

// Q4_K/Q5_K's eight 6-bit (scale, min) pairs; see quant_blocks.h.
inline void UnpackScaleMinsK4(const uint8_t* packed, int32_t* scales, int32_t* mins) {
  for (int j = 0; j < 4; ++j) {
    scales[j] = packed[j] & 63;
    mins[j] = packed[j + 4] & 63;
    scales[j + 4] = (packed[j + 8] & 0x0F) | ((packed[j] >> 6) << 4);
    mins[j + 4] = (packed[j + 8] >> 4) | ((packed[j + 4] >> 6) << 4);
  }
}

inline void StoreK4Levels(const uint8_t* qs128, uint8_t* levels256) {
  const __m256i mask = _mm256_set1_epi8(0x0F);
  for (int c = 0; c < 4; ++c) {
    const __m256i packed = Load32(qs128 + 32 * c);
    Store32(levels256 + 64 * c, _mm256_and_si256(packed, mask));
    Store32(levels256 + 64 * c + 32, _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask));
  }
}

inline void DecodeK4Scales(const uint8_t* packed, float dmin, DecodedBlock out) {
  UnpackScaleMinsK4(packed, out.sub_scale, out.sub_min);
  *out.outer_min = -dmin;
}

template <>
struct Format<DType::kQ4_K> : KQuantShape<32> {
  static constexpr size_t kBlockBytes = sizeof(BlockQ4_K);
  static constexpr int kMaxLevel = 15;
  static constexpr int kBias = 0;
  static constexpr bool kMins = true;
  static void Decode(const uint8_t* src, DecodedBlock out) {
    const auto* b = reinterpret_cast<const BlockQ4_K*>(src);
    StoreK4Levels(b->qs, out.levels);
    DecodeK4Scales(b->scales, _cvtsh_ss(b->dmin), out);
    *out.outer_scale = _cvtsh_ss(b->d);
  }
};

template <>
struct Format<DType::kQ5_K> : KQuantShape<32> {
  static constexpr size_t kBlockBytes = sizeof(BlockQ5_K);
  static constexpr int kMaxLevel = 31;
  static constexpr int kBias = 0;
  static constexpr bool kMins = true;
  static void Decode(const uint8_t* src, DecodedBlock out) {
    const auto* b = reinterpret_cast<const BlockQ5_K*>(src);
    StoreK4Levels(b->qs, out.levels);
    // Group g (32 elements) takes its fifth bit from bit g of each qh byte.
    const __m256i qh = Load32(b->qh);
    const __m256i sixteen = _mm256_set1_epi8(16);
    for (int g = 0; g < 8; ++g) {
      const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << g));
      const __m256i high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit), sixteen);
      Store32(out.levels + 32 * g, _mm256_or_si256(Load32(out.levels + 32 * g), high));
    }
    DecodeK4Scales(b->scales, _cvtsh_ss(b->dmin), out);
    *out.outer_scale = _cvtsh_ss(b->d);
  }
};

// Q6_K levels for one 128-element half: 64 bytes of ql, 32 of qh.
inline void StoreSixBitLevels(const uint8_t* ql, const uint8_t* qh, uint8_t* levels128) {
  const __m256i mask4 = _mm256_set1_epi8(0x0F), mask2 = _mm256_set1_epi8(0x30);
  const __m256i low_a = Load32(ql), low_b = Load32(ql + 32), high = Load32(qh);
  const __m256i fourth[4] = {_mm256_and_si256(low_a, mask4), _mm256_and_si256(low_b, mask4),
                             _mm256_and_si256(_mm256_srli_epi16(low_a, 4), mask4),
                             _mm256_and_si256(_mm256_srli_epi16(low_b, 4), mask4)};
  // Two high bits of group g sit at shift 2g; move them to bits 4-5.
  const __m256i top[4] = {_mm256_and_si256(_mm256_slli_epi16(high, 4), mask2),
                          _mm256_and_si256(_mm256_slli_epi16(high, 2), mask2), _mm256_and_si256(high, mask2),
                          _mm256_and_si256(_mm256_srli_epi16(high, 2), mask2)};
  for (int g = 0; g < 4; ++g) Store32(levels128 + 32 * g, _mm256_or_si256(fourth[g], top[g]));
}

template <>
struct Format<DType::kQ6_K> : KQuantShape<16> {
  static constexpr size_t kBlockBytes = sizeof(BlockQ6_K);
  static constexpr int kMaxLevel = 63;
  static constexpr int kBias = 32;
  static constexpr bool kMins = false;
  static void Decode(const uint8_t* src, DecodedBlock out) {
    const auto* b = reinterpret_cast<const BlockQ6_K*>(src);
    StoreSixBitLevels(b->ql, b->qh, out.levels);
    StoreSixBitLevels(b->ql + 64, b->qh + 32, out.levels + 128);
    for (int j = 0; j < 16; ++j) out.sub_scale[j] = b->scales[j];
    *out.outer_scale = _cvtsh_ss(b->d);
  }
};

// ------------------------- the shared float arithmetic --------------------------------

// Batch invariance: a row's result must be bit-identical whichever path computes it (a
// prefill group, a leftover row, a decode stream), or logits would depend on how many
// tokens share a batch. So every path computes, per outer block o, the exact integer dot
// products `dot` (levels x quants, biases and sub-scales applied) and `min_dot`
// (DecodedRow::MinDot), and then exactly this float arithmetic:
//   value(o) = fma(float(dot), outer_scale * act_scale, float(min_dot) * (outer_min * act_scale))
//              (without mins: float(dot) * (outer_scale * act_scale))
//   chain[o % 2] += value(o), from +0, in order of o;  result = chain[0] + chain[1]
// (two chains: independent additions for a row streamed alone, few registers in groups).
// Integer sums are exact in any order, so SIMD paths may split and reduce them freely; the
// float steps above may be vectorised only across rows, never reassociated. (These files
// are built with -ffp-contract=off so the compiler cannot fuse them differently per path.)
template <typename F>
inline float BlockValue(int32_t dot, float scale, int32_t min_dot, float min_scale) {
  if constexpr (F::kMins) return std::fma(static_cast<float>(dot), scale, static_cast<float>(min_dot) * min_scale);
  return static_cast<float>(dot) * scale;
}

inline constexpr int kNumChains = 2;
inline float SumChains(const float* chain) { return chain[0] + chain[1]; }

// ----------------------------- activation blocks ---------------------------------------

// Uniform access to the activation block matching weight format F's outer block.
template <typename F>
struct ActBlockView {
  static constexpr size_t kBytes = F::kActType == DType::kQ8_0   ? sizeof(BlockQ8_0)
                                   : F::kActType == DType::kQ8_1 ? sizeof(BlockQ8_1)
                                                                 : sizeof(BlockQ8_K);
  static const int8_t* Quants(const uint8_t* block) {
    if constexpr (F::kActType == DType::kQ8_0) return reinterpret_cast<const BlockQ8_0*>(block)->qs;
    if constexpr (F::kActType == DType::kQ8_1) return reinterpret_cast<const BlockQ8_1*>(block)->qs;
    if constexpr (F::kActType == DType::kQ8_K) return reinterpret_cast<const BlockQ8_K*>(block)->qs;
  }
  static float Scale(const uint8_t* block) {
    if constexpr (F::kActType == DType::kQ8_K)
      return reinterpret_cast<const BlockQ8_K*>(block)->d;
    else
      return LoadHalf(block);
  }
  // Sum of the quants of each of F's sub-blocks.
  static void SubSums(const uint8_t* block, int32_t* sums) {
    if constexpr (F::kActType != DType::kQ8_K) {
      sums[0] = SumBytes32(Quants(block));
    } else {
      const int16_t* bsums = reinterpret_cast<const BlockQ8_K*>(block)->bsums;
      for (int s = 0; s < F::kNumSub; ++s) {
        sums[s] = F::kSub == 16 ? bsums[s] : bsums[2 * s] + bsums[2 * s + 1];
      }
    }
  }
};

// ------------------------------- scratch memory ----------------------------------------

// Per-call scratch: on the stack when small (the common decode case), else on the heap.
// 64-byte aligned.
class Scratch {
 public:
  explicit Scratch(size_t bytes) {
    if (bytes <= sizeof(inline_)) {
      data_ = inline_;
    } else {
      heap_ = ::operator new (bytes, std::align_val_t{64});
      data_ = static_cast<uint8_t*>(heap_);
    }
  }
  ~Scratch() {
    if (heap_ != nullptr) ::operator delete (heap_, std::align_val_t{64});
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  uint8_t* data() { return data_; }

 private:
  alignas(64) uint8_t inline_[16384];
  void* heap_ = nullptr;
  uint8_t* data_ = nullptr;
};

// Carves aligned arrays out of a Scratch.
class Arena {
 public:
  explicit Arena(uint8_t* base) : next_(base) {}
  template <typename T>
  T* Take(size_t count) {
    T* p = reinterpret_cast<T*>(next_);
    next_ += RoundUp(count * sizeof(T));
    return p;
  }
  static size_t RoundUp(size_t bytes) { return (bytes + 63) & ~size_t{63}; }

 private:
  uint8_t* next_;
};

// ------------------------- kernel-ready data layouts ---------------------------------

// A weight row decoded by Format<T>::Decode, as parallel arrays over its outer blocks.
template <typename F>
struct DecodedRow {
  uint8_t* levels;     // k
  float* outer_scale;  // num_outer
  int32_t* sub_scale;  // num_outer * kNumSub
  float* outer_min;    // num_outer
  int32_t* sub_min;    // num_outer * kNumSub

  static size_t Bytes(int64_t num_outer) {
    return Arena::RoundUp(num_outer * F::kOuter) + 2 * Arena::RoundUp(num_outer * 4) +
           2 * Arena::RoundUp(num_outer * F::kNumSub * 4);
  }
  static DecodedRow Carve(Arena& arena, int64_t num_outer) {
    DecodedRow row;
    row.levels = arena.Take<uint8_t>(num_outer * F::kOuter);
    row.outer_scale = arena.Take<float>(num_outer);
    row.sub_scale = arena.Take<int32_t>(num_outer * F::kNumSub);
    row.outer_min = arena.Take<float>(num_outer);
    row.sub_min = arena.Take<int32_t>(num_outer * F::kNumSub);
    return row;
  }
  void Decode(const uint8_t* src, int64_t num_outer) const {
    for (int64_t o = 0; o < num_outer; ++o) {
      F::Decode(src + o * F::kBlockBytes, {levels + o * F::kOuter, outer_scale + o, sub_scale + o * F::kNumSub,
                                           outer_min + o, sub_min + o * F::kNumSub});
    }
  }
  // The integer min dot of outer block o: sum over sub-blocks of sub_min * act_sums[s].
  int32_t MinDot(int64_t o, const int32_t* act_sums) const {
    if constexpr (!F::kIntScales) return act_sums[0];
    int32_t total = 0;
    for (int s = 0; s < F::kNumSub; ++s) total += sub_min[o * F::kNumSub + s] * act_sums[s];
    return total;
  }
};

// One activation row prepared for DotDecoded and the stream kernels: per-outer-block
// scale, per-32-element bias vectors (lane layout matching the dpbusd result) and
// per-sub-block sums of the quants.
template <typename F>
struct PackedAct {
  const uint8_t* blocks;  // the activation row itself
  float* scale;           // num_outer
  __m256i* bias;          // num_outer * kOuter / 32, when kBias
  int32_t* sub_sum;       // num_outer * kNumSub: sum(quants), when kMins
  float* scale_dup;       // num_outer * 2: {scale, scale}, legacy formats only

  static size_t Bytes(int64_t num_outer) {
    return Arena::RoundUp(num_outer * 4) + Arena::RoundUp(num_outer * F::kOuter) +
           Arena::RoundUp(num_outer * F::kNumSub * 4) + Arena::RoundUp(num_outer * 8);
  }
  static PackedAct Make(Arena& arena, const uint8_t* row, int64_t num_outer) {
    using View = ActBlockView<F>;
    PackedAct p{row, arena.Take<float>(num_outer), arena.Take<__m256i>(num_outer * F::kOuter / 32),
                arena.Take<int32_t>(num_outer * F::kNumSub), arena.Take<float>(num_outer * 2)};
    for (int64_t o = 0; o < num_outer; ++o) {
      const uint8_t* block = row + o * View::kBytes;
      const float d = View::Scale(block);
      int32_t sums[F::kNumSub];
      View::SubSums(block, sums);
      p.scale[o] = d;
      if constexpr (F::kBias != 0) {
        // Lane j of a 32-byte dot product sums bytes 4j..4j+3, so its share of the bias is
        // -kBias * (those 4 activation quants). Keeping each lane's total small matters:
        // one lump sum in lane 0 would cancel against the other lanes only after float
        // conversion, losing precision (up to 128x the result's magnitude for Q8_0).
        const int8_t* q = View::Quants(block);
        for (int c = 0; c < F::kOuter / 32; ++c) {
          const __m256i four_byte_sums =
              _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), Load32(q + 32 * c)), _mm256_set1_epi16(1));
          p.bias[o * F::kOuter / 32 + c] = _mm256_mullo_epi32(four_byte_sums, _mm256_set1_epi32(-F::kBias));
        }
      }
      if constexpr (F::kMins) {
        for (int s = 0; s < F::kNumSub; ++s) p.sub_sum[o * F::kNumSub + s] = sums[s];
      }
      p.scale_dup[2 * o] = p.scale_dup[2 * o + 1] = d;
    }
    return p;
  }
};

// kLanes activation rows interleaved 4 bytes at a time (so one vector holds the same 4
// bytes of every row), with per-block data as kLanes-wide vectors. Rows past `count` are
// zero.
template <typename F, int kLanes>
struct ActGroup {
  int8_t* quants;     // [num_outer][kOuter / 4][kLanes][4]
  float* scale;       // [num_outer][kLanes]
  int32_t* bias;      // [num_outer * kNumSub][kLanes], when kBias
  int32_t* sub_sum;   // [num_outer * kNumSub][kLanes]: sum(quants), when kMins

  static size_t Bytes(int64_t num_outer) {
    return Arena::RoundUp(num_outer * F::kOuter * kLanes) + Arena::RoundUp(num_outer * kLanes * 4) +
           2 * Arena::RoundUp(num_outer * F::kNumSub * kLanes * 4);
  }

  static ActGroup Make(Arena& arena, const uint8_t* acts, size_t act_row_bytes, int64_t count, int64_t num_outer) {
    using View = ActBlockView<F>;
    ActGroup g{arena.Take<int8_t>(num_outer * F::kOuter * kLanes), arena.Take<float>(num_outer * kLanes),
               arena.Take<int32_t>(num_outer * F::kNumSub * kLanes),
               arena.Take<int32_t>(num_outer * F::kNumSub * kLanes)};
    for (int64_t o = 0; o < num_outer; ++o) {
      int32_t* dst = reinterpret_cast<int32_t*>(g.quants + o * F::kOuter * kLanes);
      for (int i = 0; i < kLanes; ++i) {
        if (i >= count) {
          for (int j = 0; j < F::kOuter / 4; ++j) dst[j * kLanes + i] = 0;
          g.scale[o * kLanes + i] = 0.0f;
          for (int s = 0; s < F::kNumSub; ++s) {
            g.bias[(o * F::kNumSub + s) * kLanes + i] = 0;
            g.sub_sum[(o * F::kNumSub + s) * kLanes + i] = 0;
          }
          continue;
        }
        const uint8_t* block = acts + i * act_row_bytes + o * View::kBytes;
        const int8_t* q = View::Quants(block);
        for (int j = 0; j < F::kOuter / 4; ++j) std::memcpy(&dst[j * kLanes + i], q + 4 * j, 4);
        const float d = View::Scale(block);
        int32_t sums[F::kNumSub];
        View::SubSums(block, sums);
        g.scale[o * kLanes + i] = d;
        for (int s = 0; s < F::kNumSub; ++s) {
          g.bias[(o * F::kNumSub + s) * kLanes + i] = -F::kBias * sums[s];
          g.sub_sum[(o * F::kNumSub + s) * kLanes + i] = sums[s];
        }
      }
    }
    return g;
  }
};

}  // namespace
}  // namespace sgl::cpu::internal
