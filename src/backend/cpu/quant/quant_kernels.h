// Dot products and (de)quantization of weight rows on the CPU, for every DType a weight
// may come in. A matmul never dequantizes the weights: each activation row is quantized
// once to ActivationTypeFor(weight type), then integer (or float) dot products run
// directly on the weight's blocks. The fastest kernel the CPU supports (AVX-512 VNNI,
// AVX2, or portable scalar code) is chosen once at run time.
// All functions are thread-safe (pure); callers split work across threads.
// Batch invariance: MatMulTile's result for an activation row is bit-identical however
// many rows share the call and wherever the row sits among them, on every ISA.
//
// Buffers need only their blocks' natural alignment (2 bytes for fp16-headed blocks, 4 for
// F32 and Q8_K); there is no SIMD alignment requirement. Row lengths k must be multiples of
// the weight type's block size (32, or 256 for k-quants). MatMulTile uses ~20 KiB of stack
// and, from 8 activation rows on (AVX2: 4), heap scratch of up to ~1.5 * k bytes per
// activation row plus ~100 KiB. For decode, give each thread a contiguous range of weight
// rows: every row is streamed once with software prefetch, which is what memory bandwidth
// rewards.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/dtype.h"

namespace sgl::cpu {

// The format activations are converted to before a dot product with `weight` rows:
// F32/F16/BF16 -> F32; Q4_0/Q5_0/Q8_0 -> Q8_0; Q4_1/Q5_1 -> Q8_1; k-quants -> Q8_K.
DType ActivationTypeFor(DType weight);

// Converts `n` floats into `type` (F32, Q8_0, Q8_1 or Q8_K). REQUIRES: n % block_size == 0.
void QuantizeActivationRow(DType type, const float* x, void* out, int64_t n);

// Converts `n` elements of any supported weight type to floats.
void DequantizeRow(DType type, const void* src, float* dst, int64_t n);

// The matmul tile: for r in [0, num_rows) and a in [0, num_acts),
//   out[a * out_stride + r] = dot(weight row r, activation row a)
// Weight row r starts at weights + r * weight_row_bytes; activation row a at
// acts + a * act_row_bytes and is in ActivationTypeFor(weight_type). Both have k elements.
void MatMulTile(DType weight_type, const void* weights, size_t weight_row_bytes, int64_t num_rows,
                const void* acts, size_t act_row_bytes, int64_t num_acts, int64_t k, float* out,
                int64_t out_stride);

// Which implementation MatMulTile uses on this machine ("avx512", "avx2" or "scalar").
const char* KernelIsaName();

}  // namespace sgl::cpu
