// Matmuls of one or two activation rows (decode batches) that stream the weights through shared
// memory with bulk copies (TMA). A persistent grid of one block per multiprocessor; every
// warp owns an even share of the rows and a ring of shared-memory stages that its lane 0
// keeps filled with the row pieces that come next. Launches are chained, and every warp
// fills its ring before it waits for the kernel before it: while attention, norms and RoPE
// still run, the next matmul's first weights are already on the chip.
//
// Two small ops can ride along (GemvFusion), so a decode layer needs fewer launches: the
// RMS norm that makes x (every block computes it into shared memory, block 0 also writes
// it to x) and the residual add of the output (residual += out, one bf16 job). Both give
// bit for bit what the norm and add kernels give.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "backend/cuda/gemv_kernel.h"

namespace sgl::cuda {

// Most activation rows the streamed kernel takes: each weight chunk is dotted with every
// row, and past two rows that arithmetic, not the weight stream, sets the pace (H200,
// 8B shapes: 3 rows 5.70 ms a step against cuBLASLt's 5.59, 4 rows 7.11 against 5.64).
constexpr int kMaxStreamedRows = 2;

struct GemvFusion {
  // Prologue: x = RMSNorm(norm_src) * norm_weight per row ([m, k] bf16, [k] float).
  // REQUIRES: StreamedGemvFusesNorm(m, k), norm_src 16-byte aligned and not x.
  const void* norm_src = nullptr;
  const float* norm_weight = nullptr;
  float norm_eps = 0.0f;
  // Epilogue: residual += out ([m, n] bf16). REQUIRES: one job, bf16 out, no bias.
  void* residual = nullptr;
};

// Whether products of m rows of this k can run here (x's rows and a ring of stages must
// fit in shared memory; SGL_CUDA_GEMV_STREAM=0 in the environment turns it off, for A/B
// runs). CudaBackend sends them here itself, with its fusions; LaunchGemv does too for
// the launches it takes (more jobs than one streamed launch holds).
bool StreamedGemvSupports(int64_t m, int64_t k);

// Whether the norm prologue can replace the norm kernel at this shape (the sizes that
// kernel computes in the same order).
bool StreamedGemvFusesNorm(int64_t m, int64_t k);

// out = x * w^T for every job, x [m, k]. REQUIRES: StreamedGemvSupports(m, k),
// GemvSupports(x, m, k, jobs, num_jobs).
cudaError_t LaunchStreamedGemv(const void* x, int64_t m, int64_t k, const GemvJob* jobs, int num_jobs,
                               const GemvFusion& fusion, cudaStream_t stream);

// out = act(x * gate^T) * (x * up^T) as LaunchGatedGemv.
cudaError_t LaunchStreamedGatedGemv(const void* x, int64_t m, int64_t k, const void* gate, const void* up, int64_t n,
                                    int act, void* out, const GemvFusion& fusion, cudaStream_t stream);

}  // namespace sgl::cuda
