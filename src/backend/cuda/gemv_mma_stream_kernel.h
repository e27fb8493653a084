// Matmuls of 3 to 8 activation rows (decode batches past the streamed kernel's two) that
// stream the weights as gemv_stream_kernel does and multiply on the tensor cores. Past
// two rows the CUDA-core dot sets the pace of a streamed matmul, and cuBLASLt's tiles
// read the weights well below the copy bandwidth; here a block per multiprocessor takes
// groups of 8 weight rows round robin, its 8 warps each one eighth of k, every warp's
// weight pieces arriving through its own ring of shared-memory stages (bulk copies) and
// meeting x's rows (kept in registers as mma fragments, rows past m zero) in
// mma.m16n8k16; the warps' partial sums are added in shared memory in a fixed order, so
// results do not depend on timing.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "backend/cuda/gemv_kernel.h"

namespace sgl::cuda {

constexpr int kMinMmaStreamedRows = 3;
constexpr int kMaxMmaStreamedRows = 8;

// Whether these products run here: m in [3, 8], k a multiple of 128 up to 4096 (each
// warp's eighth of x stays in registers), every job's rows a multiple of 8, 16-byte
// aligned x and weights (SGL_CUDA_STREAM_MMA=0 in the environment turns it off, for A/B
// runs).
bool MmaStreamedGemvSupports(const void* x, int64_t m, int64_t k, const GemvJob* jobs, int num_jobs);

// out = x * w^T (+ bias) for every job, x [m, k] bf16. REQUIRES: MmaStreamedGemvSupports,
// 1 <= num_jobs <= kMaxGemvJobs.
cudaError_t LaunchMmaStreamedGemv(const void* x, int64_t m, int64_t k, const GemvJob* jobs, int num_jobs,
                                  cudaStream_t stream);

// out = act(x * gate^T) * (x * up^T) ([m, n] bf16; act 0 SiLU, 1 GELU tanh), each product
// rounded to bf16 first, as LaunchGatedGemv. REQUIRES: MmaStreamedGemvSupports for x and
// both weights.
cudaError_t LaunchMmaStreamedGatedGemv(const void* x, int64_t m, int64_t k, const void* gate, const void* up,
                                       int64_t n, int act, void* out, cudaStream_t stream);

}  // namespace sgl::cuda
