// The vision encoders' elementwise and row kernels: LayerNorm with bias (a block per row,
// float sums) and GELU in its exact erf form.
#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/kernels.h"

namespace sgl::cuda {
namespace {

constexpr int kNormThreads = 256;

__global__ void LayerNormKernel(const uint16_t* x, const float* w, const float* b, int64_t cols, float eps,
                                uint16_t* out) {
  __shared__ float scratch[32];
  const uint16_t* in = x + blockIdx.x * cols;
  uint16_t* o = out + blockIdx.x * cols;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) sum += Bf16ToFloat(in[i]);
  const float mean = BlockSum(sum, scratch) / static_cast<float>(cols);
  float sq = 0.0f;
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
    const float d = Bf16ToFloat(in[i]) - mean;
    sq += d * d;
  }
  const float inv_std = rsqrtf(BlockSum(sq, scratch) / static_cast<float>(cols) + eps);
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x)
    o[i] = FloatToBf16((Bf16ToFloat(in[i]) - mean) * inv_std * w[i] + (b != nullptr ? b[i] : 0.0f));
}

__global__ void GeluErfKernel(const uint16_t* x, int64_t n, uint16_t* out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float v = Bf16ToFloat(x[i]);
  out[i] = FloatToBf16(0.5f * v * (1.0f + erff(v * 0.70710678118654752f)));
}

}  // namespace

void LaunchLayerNorm(const bf16_bits* x, const float* w, const float* b, int64_t rows, int64_t cols, float eps,
                     bf16_bits* out, cudaStream_t stream) {
  if (rows == 0 || cols == 0) return;
  LayerNormKernel<<<static_cast<unsigned>(rows), kNormThreads, 0, stream>>>(x, w, b, cols, eps, out);
}

void LaunchGeluErf(const bf16_bits* x, int64_t n, bf16_bits* out, cudaStream_t stream) {
  if (n == 0) return;
  GeluErfKernel<<<BlocksFor(n, 256), 256, 0, stream>>>(x, n, out);
}

}  // namespace sgl::cuda
