// The skinny-matmul kernel: a warp per weight row; lane l reads 16-byte chunks l, l + 32,
// ... of the row, kUnroll loads in flight, and dots each with the same chunk of every
// activation row (those come from L1/L2: every warp reads them). Blocks are laid out job
// after job, so one launch covers several weights. The launch is chained
// (chained_launch.cuh): a warp loads its first weights while the kernel before it is
// still finishing, and waits for it only before reading the activations.
#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/chained_launch.cuh"
#include "backend/cuda/gemv_kernel.h"

namespace sgl::cuda {
namespace {

constexpr int kWarps = 8;
constexpr int kUnroll = 8;

struct GemvParams {
  const uint4* x;
  int64_t k_chunks;  // k / 8
  GemvJob jobs[kMaxGemvJobs];
  int64_t first_block[kMaxGemvJobs + 1];  // job j owns blocks [first_block[j], first_block[j + 1])
  int num_jobs;
};

__device__ __forceinline__ void Fma8(const uint4& w, const uint4& x, float& acc) {
  const uint32_t* wp = reinterpret_cast<const uint32_t*>(&w);
  const uint32_t* xp = reinterpret_cast<const uint32_t*>(&x);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    acc += __uint_as_float(wp[i] << 16) * __uint_as_float(xp[i] << 16);
    acc += __uint_as_float(wp[i] & 0xffff0000u) * __uint_as_float(xp[i] & 0xffff0000u);
  }
}

// Loads chunks base + u * 32 + lane (u < kUnroll) of a weight row, zeros past its end.
__device__ __forceinline__ void LoadWeights(const uint4* w, int64_t base, int64_t k_chunks, int lane,
                                            uint4 (&wv)[kUnroll]) {
#pragma unroll
  for (int u = 0; u < kUnroll; ++u) {
    const int64_t c = base + u * 32 + lane;
    wv[u] = c < k_chunks ? __ldcs(w + c) : make_uint4(0, 0, 0, 0);  // weights: streamed once
  }
}

template <int M>
__global__ void __launch_bounds__(kWarps * 32) GemvKernel(GemvParams p) {
  LetNextKernelStart();
  int j = 0;
  while (j + 1 < p.num_jobs && blockIdx.x >= p.first_block[j + 1]) ++j;
  const GemvJob& job = p.jobs[j];
  const int64_t row = (blockIdx.x - p.first_block[j]) * kWarps + (threadIdx.x >> 5);
  if (row >= job.n) {
    WaitForPriorKernels();
    return;
  }
  const int lane = threadIdx.x & 31;
  const uint4* w = static_cast<const uint4*>(job.w) + row * p.k_chunks;
  float acc[M] = {};
  uint4 wv[kUnroll];
  LoadWeights(w, 0, p.k_chunks, lane, wv);
  WaitForPriorKernels();  // the activations come from the kernel before
  for (int64_t base = 0; base < p.k_chunks; base += 32 * kUnroll) {
    if (base > 0) LoadWeights(w, base, p.k_chunks, lane, wv);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t c = base + u * 32 + lane;
      if (c >= p.k_chunks) break;
#pragma unroll
      for (int m = 0; m < M; ++m) Fma8(wv[u], __ldg(p.x + m * p.k_chunks + c), acc[m]);
    }
  }
#pragma unroll
  for (int m = 0; m < M; ++m) {
    float v = WarpSum(acc[m]);
    if (lane != 0) continue;
    if (job.bias != nullptr) v += job.bias[row];
    if (job.out_f32) {
      static_cast<float*>(job.out)[m * job.n + row] = v;
    } else {
      static_cast<uint16_t*>(job.out)[m * job.n + row] = FloatToBf16(v);
    }
  }
}

template <int M>
cudaError_t Launch(const GemvParams& p, cudaStream_t stream) {
  return LaunchChained(GemvKernel<M>, dim3(static_cast<unsigned>(p.first_block[p.num_jobs])), dim3(kWarps * 32), 0,
                       stream, p);
}

bool Aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

}  // namespace

bool GemvSupports(const void* x, int64_t m, int64_t k, const GemvJob* jobs, int num_jobs) {
  if (m < 1 || m > kMaxGemvRows || k % 8 != 0 || !Aligned16(x) || num_jobs < 1 || num_jobs > kMaxGemvJobs) return false;
  for (int j = 0; j < num_jobs; ++j)
    if (!Aligned16(jobs[j].w)) return false;
  return true;
}

cudaError_t LaunchGemv(const void* x, int64_t m, int64_t k, const GemvJob* jobs, int num_jobs, cudaStream_t stream) {
  GemvParams p{};
  p.x = static_cast<const uint4*>(x);
  p.k_chunks = k / 8;
  p.num_jobs = num_jobs;
  for (int j = 0; j < num_jobs; ++j) {
    p.jobs[j] = jobs[j];
    p.first_block[j + 1] = p.first_block[j] + (jobs[j].n + kWarps - 1) / kWarps;
  }
  if (p.first_block[num_jobs] == 0) return cudaSuccess;
  switch (m) {
    case 1: return Launch<1>(p, stream);
    case 2: return Launch<2>(p, stream);
    case 3: return Launch<3>(p, stream);
    case 4: return Launch<4>(p, stream);
    case 5: return Launch<5>(p, stream);
    case 6: return Launch<6>(p, stream);
    case 7: return Launch<7>(p, stream);
    default: return Launch<8>(p, stream);
  }
}

}  // namespace sgl::cuda
