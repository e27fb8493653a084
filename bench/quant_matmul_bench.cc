// Single-thread micro-benchmarks of the CPU quant kernels on SmolLM2-135M's matmul shapes
// (hidden 576, ffn 1536, vocab 49152): MatMulTile for decode (1 activation row) and
// prefill (64 rows) with every ISA implementation this CPU runs, plus activation
// quantization. Counters: GB/s of weight bytes streamed and GFLOP/s (2 * rows * k * acts).
//   ./build/bench/bench_quant_matmul --benchmark_filter='avx512'
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/quant/quant_blocks.h"
#include "backend/cpu/quant/quant_impl.h"
#include "backend/cpu/quant/quant_kernels.h"
#include "base/dtype.h"

namespace sgl::cpu {
namespace {

using internal::IsaKernels;

// Random payload with finite, model-like fp16 scales (fields at these byte offsets).
std::vector<uint8_t> RandomWeights(DType type, int64_t rows, int64_t k) {
  std::mt19937 rng(1);
  std::vector<uint8_t> bytes(RowBytes(type, k) * rows);
  if (type == DType::kF32) {
    std::normal_distribution<float> normal;
    auto* f = reinterpret_cast<float*>(bytes.data());
    for (size_t i = 0; i < bytes.size() / 4; ++i) f[i] = normal(rng);
    return bytes;
  }
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  std::vector<int> scale_offsets;
  switch (type) {
    case DType::kQ4_1:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ5_1: scale_offsets = {0, 2}; break;
    case DType::kQ2_K: scale_offsets = {80, 82}; break;
    case DType::kQ3_K: scale_offsets = {108}; break;
    case DType::kQ6_K: scale_offsets = {208}; break;
    case DType::kF16:
    case DType::kBF16: scale_offsets = {}; break;
    default: scale_offsets = {0}; break;
  }
  const size_t block_bytes = Info(type).block_bytes;
  const Half scale = F32ToF16(0.01f);
  for (size_t b = 0; b < bytes.size() / block_bytes; ++b) {
    for (int offset : scale_offsets) std::memcpy(&bytes[b * block_bytes + offset], &scale, 2);
  }
  if (type == DType::kF16 || type == DType::kBF16) {
    for (size_t i = 1; i < bytes.size(); i += 2) bytes[i] = 0x3C;  // keep values finite
  }
  return bytes;
}

std::vector<uint8_t> QuantizedActivations(DType weight_type, int64_t num_acts, int64_t k) {
  const DType act_type = ActivationTypeFor(weight_type);
  std::mt19937 rng(2);
  std::normal_distribution<float> normal;
  std::vector<float> x(k);
  std::vector<uint8_t> acts(RowBytes(act_type, k) * num_acts);
  for (int64_t a = 0; a < num_acts; ++a) {
    for (float& v : x) v = normal(rng);
    QuantizeActivationRow(act_type, x.data(), acts.data() + a * RowBytes(act_type, k), k);
  }
  return acts;
}

void BenchMatMul(benchmark::State& state, internal::MatMulTileFn matmul, DType type, int64_t rows, int64_t k,
                 int64_t num_acts) {
  const std::vector<uint8_t> weights = RandomWeights(type, rows, k);
  const std::vector<uint8_t> acts = QuantizedActivations(type, num_acts, k);
  std::vector<float> out(rows * num_acts);
  const size_t act_row_bytes = RowBytes(ActivationTypeFor(type), k);
  for (auto _ : state) {
    matmul(weights.data(), RowBytes(type, k), rows, acts.data(), act_row_bytes, num_acts, k, out.data(), rows);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["GB"] =
      benchmark::Counter(1e-9 * static_cast<double>(weights.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP"] = benchmark::Counter(2e-9 * static_cast<double>(rows * k * num_acts),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

void BenchQuantize(benchmark::State& state, internal::QuantizeRowFn quantize, DType type, int64_t k) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  std::vector<float> x(k);
  for (float& v : x) v = normal(rng);
  std::vector<uint8_t> out(RowBytes(type, k));
  for (auto _ : state) {
    quantize(x.data(), out.data(), k);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["GB"] =
      benchmark::Counter(4e-9 * static_cast<double>(k), benchmark::Counter::kIsIterationInvariantRate);
}

struct Shape {
  int64_t rows, k;
};

void RegisterAll() {
  std::vector<const IsaKernels*> isas = {&internal::ScalarKernels()};
  for (const IsaKernels* isa : {internal::Avx2Kernels(), internal::Avx512Kernels()}) {
    if (isa != nullptr && isa->cpu_supports()) isas.push_back(isa);
  }
  const DType types[] = {DType::kQ4_1, DType::kQ8_0, DType::kQ4_0, DType::kQ4_K,
                         DType::kQ6_K, DType::kQ5_0, DType::kF32};
  for (const IsaKernels* isa : isas) {
    for (DType type : types) {
      internal::MatMulTileFn matmul = isa->matmul_for(type);
      if (matmul == nullptr) continue;
      std::vector<Shape> shapes = {{1536, 576}, {576, 1536}};
      // Q8_0: the tied embedding / LM head. Q4_1: the same size, as a proxy for decode
      // streaming a whole model's weights from DRAM (too big for the caches).
      if (type == DType::kQ8_0 || type == DType::kQ4_1) shapes.push_back({49152, 576});
      for (Shape shape : shapes) {
        // k-quant rows must be whole 256-element super-blocks: round k up (576 -> 768).
        const int64_t block = Info(type).block_size;
        const int64_t k = (shape.k + block - 1) / block * block;
        for (int64_t num_acts : {1, 64}) {
          if (isa == isas.front() && num_acts > 1 && shape.rows > 2048) continue;  // scalar: too slow
          const std::string name = std::string("MatMul/") + isa->name + "/" + std::string(Name(type)) + "/" +
                                   std::to_string(shape.rows) + "x" + std::to_string(k) +
                                   "/acts:" + std::to_string(num_acts);
          benchmark::RegisterBenchmark(name.c_str(), BenchMatMul, matmul, type, shape.rows, k, num_acts)
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
    for (DType act : {DType::kQ8_0, DType::kQ8_1, DType::kQ8_K}) {
      internal::QuantizeRowFn quantize = isa->quantize_for(act);
      if (quantize == nullptr) continue;
      const std::string name = std::string("Quantize/") + isa->name + "/" + std::string(Name(act)) + "/1536";
      benchmark::RegisterBenchmark(name.c_str(), BenchQuantize, quantize, act, 1536)->Unit(benchmark::kNanosecond);
    }
  }
}

}  // namespace
}  // namespace sgl::cpu

int main(int argc, char** argv) {
  sgl::cpu::RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
