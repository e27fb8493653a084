// Internal to the CPU quant kernels (and their tests): the per-instruction-set kernel
// tables that quant_kernels.cc dispatches between. Promise: every table entry computes
// exactly what the public function of the same name in quant_kernels.h documents; a null
// entry means "this ISA has no specialised kernel; use the next one down".
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/dtype.h"

namespace sgl::cpu::internal {

// MatMulTile for one fixed weight type (see quant_kernels.h for the contract).
using MatMulTileFn = void (*)(const void* weights, size_t weight_row_bytes, int64_t num_rows, const void* acts,
                              size_t act_row_bytes, int64_t num_acts, int64_t k, float* out, int64_t out_stride);
// QuantizeActivationRow for one fixed activation type.
using QuantizeRowFn = void (*)(const float* x, void* out, int64_t n);

struct IsaKernels {
  const char* name;
  // Whether this CPU can run the table (checked with cpuid at run time).
  bool (*cpu_supports)();
  // Null when the ISA has no kernel for the type.
  MatMulTileFn (*matmul_for)(DType weight_type);
  QuantizeRowFn (*quantize_for)(DType activation_type);
};

// Portable code; has an entry for every supported type.
const IsaKernels& ScalarKernels();
// Null when this binary was built without the instruction set.
const IsaKernels* Avx2Kernels();
const IsaKernels* Avx512Kernels();

// The scalar DequantizeRow (the only implementation: dequantization is not a hot path).
void DequantizeRowScalar(DType type, const void* src, float* dst, int64_t n);

// Which weight types the kernels take (the order tests iterate in).
inline constexpr DType kWeightTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ8_0, DType::kQ4_0,
                                         DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ2_K, DType::kQ3_K,
                                         DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

inline constexpr DType kActivationTypes[] = {DType::kF32, DType::kQ8_0, DType::kQ8_1, DType::kQ8_K};

}  // namespace sgl::cpu::internal
