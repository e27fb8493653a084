// Skinny matmuls for decode: out = x * w^T for a few activation rows (m <= kMaxGemvRows)
// over BF16 weights, several weights sharing x in one launch (q/k/v, gate/up, or gate/up
// with the gated activation applied on the way out). Each warp
// streams whole weight rows with 16-byte loads, several in flight, so the launch runs at
// close to memory bandwidth where a GEMM tile would idle most of its lanes.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

namespace sgl::cuda {

constexpr int kMaxGemvRows = 8;
constexpr int kMaxGemvJobs = 4;

struct GemvJob {
  const void* w = nullptr;  // [n, k] bf16
  void* out = nullptr;      // [m, n] bf16, or float when out_f32
  const float* bias = nullptr;  // [n] or null
  int64_t n = 0;
  bool out_f32 = false;
};

// Whether LaunchGemv handles this shape and these addresses (k a multiple of 8, 16-byte
// aligned x and weights).
bool GemvSupports(const void* x, int64_t m, int64_t k, const GemvJob* jobs, int num_jobs);

// REQUIRES: GemvSupports(...), 1 <= num_jobs <= kMaxGemvJobs.
cudaError_t LaunchGemv(const void* x, int64_t m, int64_t k, const GemvJob* jobs, int num_jobs, cudaStream_t stream);

// A gated MLP's first half in one launch: out = act(x * gate^T) * (x * up^T), [m, n] bf16,
// each product rounded to bf16 before the activation (as separate launches would).
// act: 0 SiLU, 1 GELU (tanh). A warp takes row i of both weights, so nothing but out is
// written. (Shapes the streamed kernel takes go to LaunchStreamedGatedGemv instead.)
// REQUIRES: GemvSupports for x and both weights ([n, k] bf16).
cudaError_t LaunchGatedGemv(const void* x, int64_t m, int64_t k, const void* gate, const void* up, int64_t n, int act,
                            void* out, cudaStream_t stream);

}  // namespace sgl::cuda
