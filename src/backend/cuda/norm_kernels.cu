// RMS norm and fused residual-add + RMS norm: one block per group, float accumulation.
#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/chained_launch.cuh"
#include "backend/cuda/kernels.h"

namespace sgl::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void RmsNormKernel(const uint16_t* x, const float* w, int64_t group, float eps, uint16_t* out) {
  LetNextKernelStart();
  WaitForPriorKernels();
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
  LetNextKernelStart();
  WaitForPriorKernels();
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

// Rows of up to kVecThreads * kMaxVecs * 8 elements with cols % 8 == 0: each thread keeps
// its 16-byte chunks in registers between the sum of squares and the scaling, so a row is
// read once with all loads in flight (a decode step's norms are latency-bound).
constexpr int kVecThreads = 256;
constexpr int kMaxVecs = 4;

union Pack8 {
  uint4 raw;
  uint16_t h[8];
};

template <bool kAdd>
__global__ void __launch_bounds__(kVecThreads) NormVec8Kernel(uint16_t* residual, const uint16_t* x, const float* w,
                                                               int64_t cols, float eps, uint16_t* out) {
  LetNextKernelStart();
  WaitForPriorKernels();
  __shared__ float scratch[32];
  const int64_t vecs = cols / 8;
  const int64_t base = static_cast<int64_t>(blockIdx.x) * vecs;
  Pack8 v[kMaxVecs];
  float ss = 0.0f;
#pragma unroll
  for (int u = 0; u < kMaxVecs; ++u) {
    const int64_t i = threadIdx.x + u * kVecThreads;
    if (i >= vecs) continue;
    v[u].raw = reinterpret_cast<const uint4*>(kAdd ? residual : x)[base + i];
    if (kAdd) {
      Pack8 a;
      a.raw = reinterpret_cast<const uint4*>(x)[base + i];
#pragma unroll
      for (int j = 0; j < 8; ++j) v[u].h[j] = FloatToBf16(Bf16ToFloat(v[u].h[j]) + Bf16ToFloat(a.h[j]));
      reinterpret_cast<uint4*>(residual)[base + i] = v[u].raw;
    }
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const float f = Bf16ToFloat(v[u].h[j]);
      ss += f * f;
    }
  }
  const float inv_rms = rsqrtf(BlockSum(ss, scratch) / static_cast<float>(cols) + eps);
#pragma unroll
  for (int u = 0; u < kMaxVecs; ++u) {
    const int64_t i = threadIdx.x + u * kVecThreads;
    if (i >= vecs) continue;
    Pack8 o;
#pragma unroll
    for (int j = 0; j < 8; ++j) o.h[j] = FloatToBf16(Bf16ToFloat(v[u].h[j]) * inv_rms * w[i * 8 + j]);
    reinterpret_cast<uint4*>(out)[base + i] = o.raw;
  }
}

bool UseVec8(const void* a, const void* b, const void* c, int64_t cols) {
  const uintptr_t bits = reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b) | reinterpret_cast<uintptr_t>(c);
  return (bits & 15) == 0 && cols % 8 == 0 && cols >= 1024 && cols <= int64_t{kVecThreads} * kMaxVecs * 8;
}

}  // namespace

void LaunchRmsNorm(const bf16_bits* x, const float* w, int64_t num_groups, int64_t group, float eps, bf16_bits* out,
                   cudaStream_t stream) {
  if (num_groups == 0) return;
  if (UseVec8(x, out, x, group)) {
    LaunchChained(NormVec8Kernel<false>, dim3(static_cast<unsigned>(num_groups)), dim3(kVecThreads), 0, stream, nullptr,
                  x, w, group, eps, out);
    return;
  }
  const int threads = group >= kThreads ? kThreads : static_cast<int>((group + 31) / 32 * 32);
  LaunchChained(RmsNormKernel, dim3(static_cast<unsigned>(num_groups)), dim3(threads), 0, stream, x, w, group, eps,
                out);
}

void LaunchAddRmsNorm(bf16_bits* residual, const bf16_bits* x, const float* w, int64_t rows, int64_t cols, float eps,
                      bf16_bits* out, cudaStream_t stream) {
  if (rows == 0) return;
  if (UseVec8(residual, x, out, cols)) {
    LaunchChained(NormVec8Kernel<true>, dim3(static_cast<unsigned>(rows)), dim3(kVecThreads), 0, stream, residual, x, w,
                  cols, eps, out);
    return;
  }
  const int threads = cols >= kThreads ? kThreads : static_cast<int>((cols + 31) / 32 * 32);
  LaunchChained(AddRmsNormKernel, dim3(static_cast<unsigned>(rows)), dim3(threads), 0, stream, residual, x, w, cols,
                eps, out);
}

}  // namespace sgl::cuda
