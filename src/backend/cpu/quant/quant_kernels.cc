// Run-time dispatch of the quant kernels: on first use, picks for every type the kernel of
// the best instruction set this CPU supports (AVX-512 > AVX2 > scalar), falling back per
// type when a better ISA has no kernel for it. The choice is made once and is immutable.
#include "backend/cpu/quant/quant_kernels.h"

#include <array>
#include <cassert>

#include "backend/cpu/quant/quant_impl.h"

namespace sgl::cpu {
namespace {

using internal::IsaKernels;
using internal::MatMulTileFn;
using internal::QuantizeRowFn;

constexpr size_t kMaxDTypeValue = 64;

struct ResolvedKernels {
  const char* matmul_isa_name = "scalar";
  std::array<MatMulTileFn, kMaxDTypeValue> matmul{};
  std::array<QuantizeRowFn, kMaxDTypeValue> quantize{};
};

// Best first; scalar last so every slot ends up filled.
std::array<const IsaKernels*, 3> IsasBestFirst() {
  return {internal::Avx512Kernels(), internal::Avx2Kernels(), &internal::ScalarKernels()};
}

ResolvedKernels Resolve() {
  ResolvedKernels resolved;
  bool named = false;
  for (const IsaKernels* isa : IsasBestFirst()) {
    if (isa == nullptr || !isa->cpu_supports()) continue;
    if (!named) {
      resolved.matmul_isa_name = isa->name;
      named = true;
    }
    for (size_t t = 0; t < kMaxDTypeValue; ++t) {
      const auto type = static_cast<DType>(t);
      if (resolved.matmul[t] == nullptr) resolved.matmul[t] = isa->matmul_for(type);
      if (resolved.quantize[t] == nullptr) resolved.quantize[t] = isa->quantize_for(type);
    }
  }
  return resolved;
}

const ResolvedKernels& Kernels() {
  static const ResolvedKernels kResolved = Resolve();
  return kResolved;
}

}  // namespace

DType ActivationTypeFor(DType weight) {
  switch (weight) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16: return DType::kF32;
    case DType::kQ4_0:
    case DType::kQ5_0:
    case DType::kQ8_0: return DType::kQ8_0;
    case DType::kQ4_1:
    case DType::kQ5_1: return DType::kQ8_1;
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K: return DType::kQ8_K;
    default: assert(false && "no kernels for this weight type"); return DType::kF32;
  }
}

void QuantizeActivationRow(DType type, const float* x, void* out, int64_t n) {
  const QuantizeRowFn quantize = Kernels().quantize[static_cast<size_t>(type)];
  assert(quantize != nullptr && "not an activation type");
  quantize(x, out, n);
}

void DequantizeRow(DType type, const void* src, float* dst, int64_t n) {
  internal::DequantizeRowScalar(type, src, dst, n);
}

void MatMulTile(DType weight_type, const void* weights, size_t weight_row_bytes, int64_t num_rows, const void* acts,
                size_t act_row_bytes, int64_t num_acts, int64_t k, float* out, int64_t out_stride) {
  const MatMulTileFn matmul = Kernels().matmul[static_cast<size_t>(weight_type)];
  assert(matmul != nullptr && "no kernels for this weight type");
  if (num_rows <= 0 || num_acts <= 0) return;
  matmul(weights, weight_row_bytes, num_rows, acts, act_row_bytes, num_acts, k, out, out_stride);
}

const char* KernelIsaName() { return Kernels().matmul_isa_name; }

}  // namespace sgl::cpu
