// Each row's token from float32 logits: one block per row, each thread scanning a
// strided slice, then a warp-shuffle and shared-memory reduction of (value, column). The
// values are the logits (argmax; ties go to the lower column, as std::max_element does on
// the host, so greedy decoding picks the same token on both) or, for a row with a
// temperature, the logits with Gumbel noise (sample_noise.h: a temperature draw).
#include "backend/cuda/chained_launch.cuh"
#include "backend/cuda/kernels.h"
#include "backend/sample_noise.h"

namespace sgl::cuda {
namespace {

constexpr int kArgmaxThreads = 1024;

struct Best {
  float value;
  int32_t index;
};

// The better of two candidates: the larger value, the lower index on ties.
__device__ __forceinline__ Best Better(Best a, Best b) {
  return (b.value > a.value || (b.value == a.value && b.index < a.index)) ? b : a;
}

__device__ __forceinline__ Best WarpBest(Best b) {
  for (int offset = 16; offset > 0; offset /= 2) {
    Best other{__shfl_down_sync(0xffffffffu, b.value, offset), __shfl_down_sync(0xffffffffu, b.index, offset)};
    b = Better(b, other);
  }
  return b;
}

__global__ void SampleRowsKernel(const float* __restrict__ x, int64_t cols, const float* temperatures,
                                 const uint64_t* seeds, int32_t* __restrict__ out) {
  LetNextKernelStart();
  WaitForPriorKernels();
  const float* row = x + blockIdx.x * cols;
  const float temperature = temperatures != nullptr ? temperatures[blockIdx.x] : 0.0f;
  const float inv = temperature > 0.0f ? 1.0f / temperature : 0.0f;
  const uint64_t seed = seeds != nullptr ? seeds[blockIdx.x] : 0;
  Best best{-INFINITY, INT32_MAX};
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float v = temperature > 0.0f ? NoisyLogit(row[c], inv, seed, c) : row[c];
    if (v > best.value || best.index == INT32_MAX) best = Best{v, static_cast<int32_t>(c)};
  }
  best = WarpBest(best);
  __shared__ Best warp_best[kArgmaxThreads / 32];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) warp_best[warp] = best;
  __syncthreads();
  if (warp != 0) return;
  const int num_warps = blockDim.x / 32;
  best = lane < num_warps ? warp_best[lane] : Best{-INFINITY, INT32_MAX};
  best = WarpBest(best);
  if (lane == 0) out[blockIdx.x] = best.index;
}

}  // namespace

void LaunchSampleRows(const float* x, int64_t rows, int64_t cols, const float* temperatures, const uint64_t* seeds,
                      int32_t* out, cudaStream_t stream) {
  if (rows == 0 || cols == 0) return;
  LaunchChained(SampleRowsKernel, dim3(static_cast<unsigned>(rows)), dim3(kArgmaxThreads), 0, stream, x, cols,
                temperatures, seeds, out);
}

}  // namespace sgl::cuda
