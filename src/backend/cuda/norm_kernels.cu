// RMS norm and fused residual-add + RMS norm: one block per group, float accumulation.
#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/kernels.h"

namespace sgl::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void RmsNormKernel(const uint16_t* x, const float* w, int64_t group, float eps, uint16_t* out) {
  __shared__ float scratch[32];
  const int64_t base = static_cast<int64_t>(blockIdx.x) * group;
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < group; i += blockDim.x) {
    const float v = Bf16ToFloat(x[base + i]);
    ss += v * v;
  }
  const float inv_rms = rsqrtf(BlockSum(ss, scratch) / static_cast<float>(group) + eps);
  for (int64_t i = threadIdx.x; i < group; i += blockDim.x)
    out[base + i] = FloatToBf16(Bf16ToFloat(x[base + i]) * inv_rms * w[i]);
}

__global__ void AddRmsNormKernel(uint16_t* residual, const uint16_t* x, const float* w, int64_t cols, float eps,
                                 uint16_t* out) {
  __shared__ float scratch[32];
  const int64_t base = static_cast<int64_t>(blockIdx.x) * cols;
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
    const uint16_t sum = FloatToBf16(Bf16ToFloat(residual[base + i]) + Bf16ToFloat(x[base + i]));
    residual[base + i] = sum;
    const float v = Bf16ToFloat(sum);
    ss += v * v;
  }
  const float inv_rms = rsqrtf(BlockSum(ss, scratch) / static_cast<float>(cols) + eps);
  // Each thread re-reads only the elements it wrote itself, so no barrier is needed.
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x)
    out[base + i] = FloatToBf16(Bf16ToFloat(residual[base + i]) * inv_rms * w[i]);
}

}  // namespace

void LaunchRmsNorm(const bf16_bits* x, const float* w, int64_t num_groups, int64_t group, float eps, bf16_bits* out,
                   cudaStream_t stream) {
  if (num_groups == 0) return;
  const int threads = group >= kThreads ? kThreads : static_cast<int>((group + 31) / 32 * 32);
  RmsNormKernel<<<static_cast<unsigned>(num_groups), threads, 0, stream>>>(x, w, group, eps, out);
}

void LaunchAddRmsNorm(bf16_bits* residual, const bf16_bits* x, const float* w, int64_t rows, int64_t cols, float eps,
                      bf16_bits* out, cudaStream_t stream) {
  if (rows == 0) return;
  const int threads = cols >= kThreads ? kThreads : static_cast<int>((cols + 31) / 32 * 32);
  AddRmsNormKernel<<<static_cast<unsigned>(rows), threads, 0, stream>>>(residual, x, w, cols, eps, out);
}

}  // namespace sgl::cuda
