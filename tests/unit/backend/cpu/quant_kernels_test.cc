// Tests of the CPU quant kernels: every ISA implementation runnable on this machine is
// checked (not only the dispatched one) against references that share no code with it:
//  - DequantizeRow against gguf-py's numpy dequantization (tests/fixtures/quant);
//  - MatMulTile against a double-precision dot of the dequantized weights and activations;
//  - QuantizeActivationRow round-trips within half a step, with exact sums.
#include "backend/cpu/quant/quant_kernels.h"

#include <bit>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/quant/quant_blocks.h"
#include "backend/cpu/quant/quant_impl.h"
#include "base/dtype.h"

namespace sgl::cpu {
namespace {

using internal::IsaKernels;

std::vector<const IsaKernels*> RunnableIsas() {
  std::vector<const IsaKernels*> isas = {&internal::ScalarKernels()};
  for (const IsaKernels* isa : {internal::Avx2Kernels(), internal::Avx512Kernels()}) {
    if (isa != nullptr && isa->cpu_supports()) isas.push_back(isa);
  }
  return isas;
}

std::string SourceDir() {
  if (const char* env = std::getenv("SGL_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
  return SGL_SOURCE_DIR;
}

// Byte offsets of the fp16 scale fields in one block of `type` (the rest is payload).
std::vector<int> HalfScaleOffsets(DType type) {
  switch (type) {
    case DType::kQ4_0:
    case DType::kQ5_0:
    case DType::kQ8_0: return {0};
    case DType::kQ4_1:
    case DType::kQ5_1:
    case DType::kQ4_K:
    case DType::kQ5_K: return {0, 2};
    case DType::kQ2_K: return {80, 82};
    case DType::kQ3_K: return {108};
    case DType::kQ6_K: return {208};
    default: return {};
  }
}

// `num_elements` of `type`: random payload bytes, finite scales of either sign.
std::vector<uint8_t> RandomWeights(DType type, int64_t num_elements, std::mt19937& rng) {
  std::vector<uint8_t> bytes(RowBytes(type, num_elements));
  std::normal_distribution<float> normal;
  if (type == DType::kF32) {
    for (int64_t i = 0; i < num_elements; ++i) {
      const float v = normal(rng);
      std::memcpy(&bytes[4 * i], &v, 4);
    }
    return bytes;
  }
  if (type == DType::kF16 || type == DType::kBF16) {
    for (int64_t i = 0; i < num_elements; ++i) {
      const float v = normal(rng);
      const uint16_t h = type == DType::kF16 ? F32ToF16(v) : F32ToBf16(v);
      std::memcpy(&bytes[2 * i], &h, 2);
    }
    return bytes;
  }
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(byte(rng));
  std::uniform_real_distribution<float> magnitude(1e-3f, 1e-1f);
  const size_t block_bytes = Info(type).block_bytes;
  for (size_t block = 0; block < bytes.size() / block_bytes; ++block) {
    for (int offset : HalfScaleOffsets(type)) {
      const float sign = (byte(rng) & 1) ? 1.0f : -1.0f;
      const Half h = F32ToF16(sign * magnitude(rng));
      std::memcpy(&bytes[block * block_bytes + offset], &h, 2);
    }
  }
  return bytes;
}

// Activations with a different magnitude per 32 elements, and an all-zero stretch.
std::vector<float> RandomActivations(int64_t n, std::mt19937& rng) {
  std::vector<float> x(n);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> log_scale(-3.0f, 2.0f);
  for (int64_t start = 0; start < n; start += 32) {
    const float scale = std::pow(10.0f, log_scale(rng));
    for (int64_t i = start; i < std::min<int64_t>(n, start + 32); ++i) x[i] = scale * normal(rng);
  }
  if (n >= 512) std::fill(x.begin() + 256, x.begin() + 288, 0.0f);
  return x;
}

std::vector<float> Dequantized(DType type, const void* data, int64_t n) {
  std::vector<float> out(n);
  internal::DequantizeRowScalar(type, data, out.data(), n);
  return out;
}

// ============================ fp16 / bf16 conversion ===================================

TEST(QuantHalf, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const auto h = static_cast<Half>(bits);
    const float f = F16ToF32(h);
    const uint32_t exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF;
    if (exponent == 0x1F && mantissa != 0) {
      EXPECT_TRUE(std::isnan(f));
      continue;
    }
    const double magnitude = exponent == 0x1F ? INFINITY
                             : exponent == 0  ? std::ldexp(mantissa, -24)
                                              : std::ldexp(1024 + mantissa, static_cast<int>(exponent) - 25);
    ASSERT_EQ(static_cast<double>(f), (bits & 0x8000) ? -magnitude : magnitude) << bits;
    ASSERT_EQ(F32ToF16(f), h) << bits;
  }
}

TEST(QuantHalf, FloatToHalfRoundsToNearestEven) {
  // Exactly between two halves: round to the even mantissa.
  EXPECT_EQ(F32ToF16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(F32ToF16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(F32ToF16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3C01);
  EXPECT_EQ(F32ToF16(65504.0f), 0x7BFF);
  EXPECT_EQ(F32ToF16(65519.0f), 0x7BFF);
  EXPECT_EQ(F32ToF16(65520.0f), 0x7C00);
  EXPECT_EQ(F32ToF16(std::ldexp(1.0f, -25)), 0x0000);  // tie between 0 and the least subnormal
  EXPECT_EQ(F32ToF16(std::ldexp(3.0f, -25)), 0x0002);
  EXPECT_EQ(F32ToF16(-std::ldexp(1023.5f, -24)), 0x8400);  // carries into the least normal
  EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(NAN))));
}

TEST(QuantHalf, BFloat16RoundsToNearestEven) {
  EXPECT_EQ(F32ToBf16(1.0f), 0x3F80);
  EXPECT_EQ(F32ToBf16(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie, even stays
  EXPECT_EQ(F32ToBf16(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie, odd rounds up
  EXPECT_EQ(F32ToBf16(std::bit_cast<float>(0x3F808001u)), 0x3F81);
  EXPECT_EQ(Bf16ToF32(0xC040), -3.0f);
  EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(NAN))));
}

// ==================== dequantization against gguf-py (numpy) ==========================

struct FixtureRecord {
  DType type;
  int64_t num_elements;
  std::vector<uint8_t> bytes;
  std::vector<float> expected;
};

std::vector<FixtureRecord> ReadFixture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<FixtureRecord> records;
  uint32_t header[3];
  while (in.read(reinterpret_cast<char*>(header), sizeof(header))) {
    FixtureRecord r{static_cast<DType>(header[0]), header[1], std::vector<uint8_t>(header[2]),
                    std::vector<float>(header[1])};
    in.read(reinterpret_cast<char*>(r.bytes.data()), header[2]);
    in.read(reinterpret_cast<char*>(r.expected.data()), header[1] * sizeof(float));
    if (!in) break;
    records.push_back(std::move(r));
  }
  return records;
}

TEST(QuantDequantize, MatchesGgufPy) {
  const std::string path = SourceDir() + "/tests/fixtures/quant/dequant_fixture.bin";
  const std::vector<FixtureRecord> records = ReadFixture(path);
  ASSERT_EQ(records.size(), std::size(internal::kWeightTypes)) << path;
  for (const FixtureRecord& r : records) {
    SCOPED_TRACE(std::string(Name(r.type)));
    ASSERT_EQ(RowBytes(r.type, r.num_elements), r.bytes.size());
    std::vector<float> got(r.num_elements);
    DequantizeRow(r.type, r.bytes.data(), got.data(), r.num_elements);
    for (int64_t i = 0; i < r.num_elements; ++i) {
      ASSERT_NEAR(got[i], r.expected[i], 1e-6f * std::fabs(r.expected[i]) + 1e-30f) << "element " << i;
    }
  }
}

// ========================= activation quantization ===================================

class QuantKernelsIsaTest : public ::testing::TestWithParam<const IsaKernels*> {};

INSTANTIATE_TEST_SUITE_P(QuantIsa, QuantKernelsIsaTest, ::testing::ValuesIn(RunnableIsas()),
                         [](const auto& info) { return std::string(info.param->name); });

TEST_P(QuantKernelsIsaTest, QuantizeActivationRoundTripsWithinHalfAStep) {
  std::mt19937 rng(7);
  const int64_t n = 1024;
  const std::vector<float> x = RandomActivations(n, rng);
  for (DType type : internal::kActivationTypes) {
    SCOPED_TRACE(std::string(Name(type)));
    const internal::QuantizeRowFn quantize = GetParam()->quantize_for(type);
    if (quantize == nullptr) continue;
    std::vector<uint8_t> q(RowBytes(type, n)), reference(RowBytes(type, n));
    quantize(x.data(), q.data(), n);
    internal::ScalarKernels().quantize_for(type)(x.data(), reference.data(), n);
    EXPECT_EQ(q, reference) << "differs from the scalar quantizer";

    const std::vector<float> back = Dequantized(type, q.data(), n);
    const int64_t block = Info(type).block_size;
    for (int64_t b = 0; b < n / block; ++b) {
      float step = 0.0f;
      if (type == DType::kQ8_0) step = F16ToF32(reinterpret_cast<const BlockQ8_0*>(q.data())[b].d);
      if (type == DType::kQ8_1) step = F16ToF32(reinterpret_cast<const BlockQ8_1*>(q.data())[b].d);
      if (type == DType::kQ8_K) step = reinterpret_cast<const BlockQ8_K*>(q.data())[b].d;
      for (int64_t i = b * block; i < (b + 1) * block; ++i) {
        ASSERT_LE(std::fabs(back[i] - x[i]), 0.5f * step * (1 + 1e-5f) + 1e-30f) << "element " << i;
      }
    }
    if (type == DType::kQ8_1) {
      const auto* blocks = reinterpret_cast<const BlockQ8_1*>(q.data());
      for (int64_t b = 0; b < n / kQK; ++b) {
        int sum = 0;
        for (int8_t v : blocks[b].qs) sum += v;
        EXPECT_EQ(blocks[b].s, F32ToF16(F16ToF32(blocks[b].d) * sum));
      }
    }
    if (type == DType::kQ8_K) {
      const auto* blocks = reinterpret_cast<const BlockQ8_K*>(q.data());
      for (int64_t b = 0; b < n / kQKK; ++b) {
        for (int j = 0; j < 16; ++j) {
          int sum = 0;
          for (int i = 0; i < 16; ++i) sum += blocks[b].qs[16 * j + i];
          EXPECT_EQ(blocks[b].bsums[j], sum);
        }
      }
    }
  }
}

TEST_P(QuantKernelsIsaTest, QuantizeActivationOfZerosIsZero) {
  for (DType type : {DType::kQ8_0, DType::kQ8_1, DType::kQ8_K}) {
    const internal::QuantizeRowFn quantize = GetParam()->quantize_for(type);
    if (quantize == nullptr) continue;
    const std::vector<float> zeros(256, 0.0f);
    std::vector<uint8_t> q(RowBytes(type, 256), 0xAB);
    quantize(zeros.data(), q.data(), 256);
    for (float v : Dequantized(type, q.data(), 256)) ASSERT_EQ(v, 0.0f) << Name(type);
  }
}

// ================================ matmul tile =========================================

struct MatMulCase {
  int64_t num_rows, num_acts, k;
};

// Everything one MatMulTile call needs, plus the double-precision reference.
struct MatMulProblem {
  DType weight_type, act_type;
  MatMulCase shape;
  size_t weight_row_bytes, act_row_bytes;
  std::vector<uint8_t> weights, acts;
  std::vector<double> expected, tolerance;  // [act][row]
};

// Rows are padded by default (row strides larger than the data) to check strides are
// honoured; unpadded rows end the buffers exactly where the data ends, so that reads past
// the end show up under AddressSanitizer.
MatMulProblem MakeProblem(DType weight_type, MatMulCase shape, std::mt19937& rng, bool padded = true) {
  MatMulProblem p{weight_type, ActivationTypeFor(weight_type), shape, 0, 0, {}, {}, {}, {}};
  p.weight_row_bytes = RowBytes(weight_type, shape.k) + (padded ? 64 : 0);
  p.act_row_bytes = RowBytes(p.act_type, shape.k) + (padded ? 32 : 0);
  p.weights.resize(p.weight_row_bytes * shape.num_rows);
  p.acts.resize(p.act_row_bytes * shape.num_acts);
  std::vector<std::vector<float>> w(shape.num_rows), a(shape.num_acts);
  for (int64_t r = 0; r < shape.num_rows; ++r) {
    const std::vector<uint8_t> row = RandomWeights(weight_type, shape.k, rng);
    std::memcpy(&p.weights[r * p.weight_row_bytes], row.data(), row.size());
    w[r] = Dequantized(weight_type, row.data(), shape.k);
  }
  for (int64_t i = 0; i < shape.num_acts; ++i) {
    const std::vector<float> x = RandomActivations(shape.k, rng);
    uint8_t* dst = &p.acts[i * p.act_row_bytes];
    internal::ScalarKernels().quantize_for(p.act_type)(x.data(), dst, shape.k);
    a[i] = Dequantized(p.act_type, dst, shape.k);
  }
  for (int64_t i = 0; i < shape.num_acts; ++i) {
    for (int64_t r = 0; r < shape.num_rows; ++r) {
      double dot = 0, magnitude = 0;
      for (int64_t e = 0; e < shape.k; ++e) {
        const double term = static_cast<double>(w[r][e]) * a[i][e];
        dot += term;
        magnitude += std::fabs(term);
      }
      p.expected.push_back(dot);
      p.tolerance.push_back(1e-5 * magnitude + 1e-30);
    }
  }
  return p;
}

// Runs `isa`'s kernel with an output stride wider than num_rows; returns the number of
// mismatches (reported through gtest) and checks nothing outside the tile was written.
int CheckMatMul(const IsaKernels& isa, const MatMulProblem& p) {
  const internal::MatMulTileFn matmul = isa.matmul_for(p.weight_type);
  if (matmul == nullptr) return 0;
  const int64_t out_stride = p.shape.num_rows + 3;
  std::vector<float> out(out_stride * p.shape.num_acts, -12345.0f);
  matmul(p.weights.data(), p.weight_row_bytes, p.shape.num_rows, p.acts.data(), p.act_row_bytes, p.shape.num_acts,
         p.shape.k, out.data(), out_stride);
  int failures = 0;
  for (int64_t i = 0; i < p.shape.num_acts; ++i) {
    for (int64_t r = 0; r < out_stride; ++r) {
      const float got = out[i * out_stride + r];
      if (r >= p.shape.num_rows) {
        EXPECT_EQ(got, -12345.0f) << "wrote outside the tile at act " << i << " column " << r;
        continue;
      }
      const size_t idx = i * p.shape.num_rows + r;
      if (!(std::fabs(got - p.expected[idx]) <= p.tolerance[idx])) {
        if (++failures <= 5) {
          ADD_FAILURE() << isa.name << " " << Name(p.weight_type) << " rows=" << p.shape.num_rows
                        << " acts=" << p.shape.num_acts << " k=" << p.shape.k << ": out[" << i << "][" << r
                        << "] = " << got << ", expected " << p.expected[idx] << " +- " << p.tolerance[idx];
        }
      }
    }
  }
  return failures;
}

std::vector<int64_t> KSizesFor(DType type) {
  const int64_t block = Info(type).block_size;
  if (block == 1) return {7, 64, 100, 576};
  if (block == kQK) return {32, 96, 576};
  return {256, 768, 1536};
}

TEST_P(QuantKernelsIsaTest, MatMulTileMatchesDequantizedReference) {
  std::mt19937 rng(42);
  for (DType type : internal::kWeightTypes) {
    SCOPED_TRACE(std::string(Name(type)));
    if (GetParam()->matmul_for(type) == nullptr) continue;
    for (int64_t k : KSizesFor(type)) {
      for (int64_t num_rows : {1, 4, 7, 16, 37}) {
        for (int64_t num_acts : {1, 2, 3, 4, 5, 7, 17}) {
          const MatMulProblem p = MakeProblem(type, {num_rows, num_acts, k}, rng);
          ASSERT_EQ(CheckMatMul(*GetParam(), p), 0);
        }
      }
    }
  }
}

// Larger tiles exercise the multi-row / multi-act register blocking and its tails.
TEST_P(QuantKernelsIsaTest, MatMulTileLargeTiles) {
  std::mt19937 rng(43);
  for (DType type : internal::kWeightTypes) {
    SCOPED_TRACE(std::string(Name(type)));
    if (GetParam()->matmul_for(type) == nullptr) continue;
    const int64_t k = Info(type).block_size == 1 ? 200 : 4 * kQKK;
    for (MatMulCase shape : {MatMulCase{67, 33, k}, MatMulCase{130, 9, k}, MatMulCase{8, 64, k}}) {
      const MatMulProblem p = MakeProblem(type, shape, rng);
      ASSERT_EQ(CheckMatMul(*GetParam(), p), 0);
    }
    // Unpadded rows, each path once: decode (1 and 3 rows), groups + leftovers.
    for (int64_t num_acts : {1, 3, 21}) {
      const MatMulProblem p = MakeProblem(type, {5, num_acts, k}, rng, /*padded=*/false);
      ASSERT_EQ(CheckMatMul(*GetParam(), p), 0);
    }
  }
}

// Largest-magnitude levels against same-sign (and alternating) full-scale activations:
// catches 16-bit saturation in the byte dot products, which random data rarely reaches.
TEST_P(QuantKernelsIsaTest, MatMulTileExtremeValues) {
  std::mt19937 rng(45);
  for (DType type : internal::kWeightTypes) {
    SCOPED_TRACE(std::string(Name(type)));
    if (GetParam()->matmul_for(type) == nullptr || Info(type).block_size == 1) continue;
    for (uint8_t payload : {uint8_t{0xFF}, uint8_t{0x80}, uint8_t{0x00}, uint8_t{0x7F}}) {
      for (int act_pattern = 0; act_pattern < 3; ++act_pattern) {
        MatMulProblem p = MakeProblem(type, {3, 18, KSizesFor(type).back()}, rng);
        // Overwrite the weights: every payload byte = `payload`, every scale = 0.01.
        const std::vector<int> scale_offsets = HalfScaleOffsets(type);
        const size_t block_bytes = Info(type).block_bytes;
        for (int64_t r = 0; r < 3; ++r) {
          uint8_t* row = &p.weights[r * p.weight_row_bytes];
          for (size_t b = 0; b < RowBytes(type, p.shape.k) / block_bytes; ++b) {
            std::memset(row + b * block_bytes, payload, block_bytes);
            const Half scale = F32ToF16(0.01f);
            for (int offset : scale_offsets) std::memcpy(row + b * block_bytes + offset, &scale, 2);
          }
        }
        // Activations: all +1, all -1, or alternating, so every quant is +-127.
        for (int64_t i = 0; i < p.shape.num_acts; ++i) {
          std::vector<float> x(p.shape.k);
          for (int64_t e = 0; e < p.shape.k; ++e)
            x[e] = act_pattern == 0 ? 1.0f : act_pattern == 1 ? -1.0f : (e % 2 ? 1.0f : -1.0f);
          internal::ScalarKernels().quantize_for(p.act_type)(x.data(), &p.acts[i * p.act_row_bytes], p.shape.k);
        }
        // Recompute the reference for the new data.
        p.expected.clear();
        p.tolerance.clear();
        for (int64_t i = 0; i < p.shape.num_acts; ++i) {
          const std::vector<float> a = Dequantized(p.act_type, &p.acts[i * p.act_row_bytes], p.shape.k);
          for (int64_t r = 0; r < 3; ++r) {
            const std::vector<float> w = Dequantized(type, &p.weights[r * p.weight_row_bytes], p.shape.k);
            double dot = 0, magnitude = 0;
            for (int64_t e = 0; e < p.shape.k; ++e) {
              dot += static_cast<double>(w[e]) * a[e];
              magnitude += std::fabs(static_cast<double>(w[e]) * a[e]);
            }
            p.expected.push_back(dot);
            p.tolerance.push_back(1e-5 * magnitude + 1e-30);
          }
        }
        ASSERT_EQ(CheckMatMul(*GetParam(), p), 0) << "payload " << int{payload} << " pattern " << act_pattern;
      }
    }
  }
}

// Batch invariance: an activation row's results must not depend on how many other rows
// share the call or where it sits among them (prefill groups, leftover rows and decode
// streams must all round the same way), so MatMulTile of M rows starting at row `first`
// must equal, bit for bit, M calls of one row each.
TEST_P(QuantKernelsIsaTest, MatMulTileIsBatchInvariant) {
  std::mt19937 rng(46);
  constexpr int64_t kRows = 6, kMaxActs = 40, kMaxFirst = 3;
  for (DType type : internal::kWeightTypes) {
    SCOPED_TRACE(std::string(Name(type)));
    const internal::MatMulTileFn matmul = GetParam()->matmul_for(type);
    if (matmul == nullptr) continue;
    // An odd number of blocks, so every path also meets a tail.
    const int64_t block = Info(type).block_size;
    const int64_t k = block == 1 ? 200 : block == kQK ? 19 * kQK : 3 * kQKK;
    const MatMulProblem p = MakeProblem(type, {kRows, kMaxActs + kMaxFirst, k}, rng);
    std::vector<float> alone((kMaxActs + kMaxFirst) * kRows);
    for (int64_t i = 0; i < kMaxActs + kMaxFirst; ++i)
      matmul(p.weights.data(), p.weight_row_bytes, kRows, &p.acts[i * p.act_row_bytes], p.act_row_bytes, 1, k,
             &alone[i * kRows], kRows);
    int failures = 0;
    for (int64_t first : {int64_t{0}, kMaxFirst}) {
      for (int64_t m = 1; m <= kMaxActs; ++m) {
        std::vector<float> batch(m * kRows);
        matmul(p.weights.data(), p.weight_row_bytes, kRows, &p.acts[first * p.act_row_bytes], p.act_row_bytes, m, k,
               batch.data(), kRows);
        for (int64_t i = 0; i < m * kRows; ++i) {
          const float want = alone[first * kRows + i];
          if (std::bit_cast<uint32_t>(batch[i]) != std::bit_cast<uint32_t>(want) && ++failures <= 5) {
            ADD_FAILURE() << GetParam()->name << " M=" << m << " first=" << first << " act " << i / kRows << " row "
                          << i % kRows << ": " << batch[i] << " in the batch, " << want << " alone";
          }
        }
      }
    }
    EXPECT_EQ(failures, 0);
  }
}

// The tolerance must be tight enough that one wrong weight element is caught.
TEST_P(QuantKernelsIsaTest, ToleranceCatchesOneCorruptedWeight) {
  std::mt19937 rng(44);
  for (DType type : internal::kWeightTypes) {
    SCOPED_TRACE(std::string(Name(type)));
    if (GetParam()->matmul_for(type) == nullptr) continue;
    MatMulProblem p = MakeProblem(type, {4, 4, KSizesFor(type).back()}, rng);
    // Corrupt a payload byte in the middle of row 2's second block, keeping the expected
    // values of the original weights.
    const size_t block_bytes = Info(type).block_bytes;
    const size_t offset = 2 * p.weight_row_bytes + block_bytes + block_bytes / 2 + 1;
    p.weights[offset] ^= 0x24;
    ::testing::TestPartResultArray failures;
    int count = 0;
    {
      ::testing::ScopedFakeTestPartResultReporter reporter(
          ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
      count = CheckMatMul(*GetParam(), p);
    }
    EXPECT_GT(count, 0) << "a corrupted weight went unnoticed";
  }
}

// ================================= dispatch ==========================================

TEST(QuantDispatch, PublicEntryPointsUseARunnableIsa) {
  const std::string name = KernelIsaName();
  bool found = false;
  for (const IsaKernels* isa : RunnableIsas()) found |= name == isa->name;
  EXPECT_TRUE(found) << name;
  EXPECT_EQ(RunnableIsas().back()->name, name) << "dispatch should pick the best runnable ISA";

  std::mt19937 rng(5);
  for (DType type : internal::kWeightTypes) {
    const MatMulProblem p = MakeProblem(type, {5, 3, KSizesFor(type).back()}, rng);
    std::vector<float> out(5 * 3);
    MatMulTile(type, p.weights.data(), p.weight_row_bytes, 5, p.acts.data(), p.act_row_bytes, 3, p.shape.k, out.data(),
               5);
    for (size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], p.expected[i], p.tolerance[i]) << Name(type);
  }
}

TEST(QuantDispatch, ActivationTypes) {
  EXPECT_EQ(ActivationTypeFor(DType::kF16), DType::kF32);
  EXPECT_EQ(ActivationTypeFor(DType::kBF16), DType::kF32);
  EXPECT_EQ(ActivationTypeFor(DType::kQ4_0), DType::kQ8_0);
  EXPECT_EQ(ActivationTypeFor(DType::kQ5_0), DType::kQ8_0);
  EXPECT_EQ(ActivationTypeFor(DType::kQ8_0), DType::kQ8_0);
  EXPECT_EQ(ActivationTypeFor(DType::kQ4_1), DType::kQ8_1);
  EXPECT_EQ(ActivationTypeFor(DType::kQ5_1), DType::kQ8_1);
  for (DType k : {DType::kQ2_K, DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    EXPECT_EQ(ActivationTypeFor(k), DType::kQ8_K);
  }
}

}  // namespace
}  // namespace sgl::cpu
