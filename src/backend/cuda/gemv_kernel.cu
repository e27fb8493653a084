// The skinny-matmul kernels. Lane l of a warp reads 16-byte chunks l, l + 32, ... of a
// weight row, U loads in flight per row, and dots each with the same chunk of every
// activation row (those come from L1/L2: every warp reads them). Two schedules, chosen by
// shape from an H200 sweep (bench_cuda_decode --sweep-only):
//  - row pairs: a warp takes two rows, so two rows' loads are in flight; blocks are laid
//    out job after job. Best for many short rows (q/k/v, gate/up, lm_head).
//  - pipelined: warp w takes an even share of all rows and loads its next tile (of this row
//    or the next) before computing the current one. Best for long rows (down_proj) and
//    few rows (o_proj), where the row-pair schedule leaves loads idle between tiles.
// Launches are chained (chained_launch.cuh): a warp loads its first weights while the
// kernel before it is still finishing, and waits for it only before reading activations.
#include <algorithm>

#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/chained_launch.cuh"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/gemv_kernel.h"
#include "backend/cuda/gemv_rows.cuh"
#include "backend/cuda/gemv_stream_kernel.h"

namespace sgl::cuda {
namespace {

constexpr int kUnroll = 4;  // loads in flight per weight row
constexpr int kWarps = 8;   // per block

struct GemvParams {
  const uint4* x;
  int64_t k_chunks;  // k / 8
  GemvJob jobs[kMaxGemvJobs];
  int64_t first_block[kMaxGemvJobs + 1];  // row pairs: job j owns blocks [first_block[j], first_block[j + 1])
  int64_t first_row[kMaxGemvJobs + 1];    // pipelined: job j owns rows [first_row[j], first_row[j + 1])
  int64_t rows_per_warp;                  // pipelined: warp w takes rows [w, w + 1) * rows_per_warp
  int num_jobs;
  int gated_act;  // gated row pairs: the activation (jobs[0] gate, jobs[1] up, out jobs[0].out)
};

// Loads chunks base + u * 32 + lane (u < U) of a weight row, zeros past its end.
template <int U>
__device__ __forceinline__ void LoadWeights(const uint4* w, int64_t base, int64_t k_chunks, int lane, uint4 (&wv)[U]) {
#pragma unroll
  for (int u = 0; u < U; ++u) {
    const int64_t c = base + u * 32 + lane;
    wv[u] = c < k_chunks ? __ldcs(w + c) : make_uint4(0, 0, 0, 0);  // weights: streamed once
  }
}

// Row pairs (R rows per warp) for M activation rows, U loads in flight per row, W warps.
// GATED: the warp's two rows are row i of the gate and of the up weight (p.gated_act).
template <int M, int U, int R, int W, bool GATED = false>
__global__ void __launch_bounds__(W * 32) GemvRowPairsKernel(GemvParams p) {
  static_assert(!GATED || R == 2);
  LetNextKernelStart();
  int j = 0;
  while (j + 1 < p.num_jobs && blockIdx.x >= p.first_block[j + 1]) ++j;
  const GemvJob& job = p.jobs[j];
  const int64_t warp_index = (blockIdx.x - p.first_block[j]) * W + (threadIdx.x >> 5);
  const int64_t row0 = GATED ? warp_index : warp_index * R;
  if (row0 >= job.n) {
    WaitForPriorKernels();
    return;
  }
  const int lane = threadIdx.x & 31;
  const uint4* w[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {
    w[r] = GATED ? static_cast<const uint4*>(p.jobs[r].w) + row0 * p.k_chunks
                 : static_cast<const uint4*>(job.w) + min(row0 + r, job.n - 1) * p.k_chunks;
  }
  float acc[R][M] = {};
  uint4 wv[R][U];
#pragma unroll
  for (int r = 0; r < R; ++r) LoadWeights<U>(w[r], 0, p.k_chunks, lane, wv[r]);
  WaitForPriorKernels();  // the activations come from the kernel before
  for (int64_t base = 0; base < p.k_chunks; base += 32 * U) {
    if (base > 0) {
#pragma unroll
      for (int r = 0; r < R; ++r) LoadWeights<U>(w[r], base, p.k_chunks, lane, wv[r]);
    }
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int64_t c = base + u * 32 + lane;
      if (c >= p.k_chunks) break;
#pragma unroll
      for (int m = 0; m < M; ++m) {
        const uint4 xv = __ldg(p.x + m * p.k_chunks + c);
#pragma unroll
        for (int r = 0; r < R; ++r) Fma8(wv[r][u], xv, acc[r][m]);
      }
    }
  }
  if constexpr (GATED) {
#pragma unroll
    for (int m = 0; m < M; ++m) {
      const float gate = WarpSum(acc[0][m]), up = WarpSum(acc[1][m]);
      if (lane == 0)
        static_cast<uint16_t*>(job.out)[m * job.n + row0] = GatedValue(FloatToBf16(gate), FloatToBf16(up), p.gated_act);
    }
    return;
  }
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int64_t row = row0 + r;
#pragma unroll
    for (int m = 0; m < M; ++m) {
      float v = WarpSum(acc[r][m]);
      if (lane != 0 || row >= job.n) continue;
      if (job.bias != nullptr) v += job.bias[row];
      if (job.out_f32) {
        static_cast<float*>(job.out)[m * job.n + row] = v;
      } else {
        static_cast<uint16_t*>(job.out)[m * job.n + row] = FloatToBf16(v);
      }
    }
  }
}

// The pipelined kernel: warp w takes rows [w * rows_per_warp, (w + 1) * rows_per_warp) of
// all jobs, one tile of 32 * U chunks at a time, and loads the next tile (of this row or
// the next) before it computes the current one, so two tiles are always in flight.
template <int M, int U>
__device__ __forceinline__ void DotTile(const GemvParams& p, int64_t base, int lane, const uint4 (&wv)[U],
                                        float (&acc)[M]) {
#pragma unroll
  for (int u = 0; u < U; ++u) {
    const int64_t c = base + u * 32 + lane;
    if (c >= p.k_chunks) break;
#pragma unroll
    for (int m = 0; m < M; ++m) Fma8(wv[u], __ldg(p.x + m * p.k_chunks + c), acc[m]);
  }
}

__device__ __forceinline__ const uint4* RowPointer(const GemvParams& p, int64_t row) {
  const int j = JobOfRow(p, row);
  return static_cast<const uint4*>(p.jobs[j].w) + (row - p.first_row[j]) * p.k_chunks;
}

template <int M>
__device__ __forceinline__ void StoreRow(const GemvParams& p, int64_t row, int lane, float (&acc)[M]) {
  const int j = JobOfRow(p, row);
  const GemvJob& job = p.jobs[j];
  const int64_t r = row - p.first_row[j];
#pragma unroll
  for (int m = 0; m < M; ++m) {
    float v = WarpSum(acc[m]);
    acc[m] = 0.0f;
    if (lane != 0) continue;
    if (job.bias != nullptr) v += job.bias[r];
    if (job.out_f32) {
      static_cast<float*>(job.out)[m * job.n + r] = v;
    } else {
      static_cast<uint16_t*>(job.out)[m * job.n + r] = FloatToBf16(v);
    }
  }
}

template <int M, int U, int W>
__global__ void __launch_bounds__(W * 32) GemvPipelinedKernel(GemvParams p) {
  LetNextKernelStart();
  const int lane = threadIdx.x & 31;
  const int64_t total_rows = p.first_row[p.num_jobs];
  int64_t row = (static_cast<int64_t>(blockIdx.x) * W + (threadIdx.x >> 5)) * p.rows_per_warp;
  const int64_t row_end = min(row + p.rows_per_warp, total_rows);
  if (row >= row_end) {
    WaitForPriorKernels();
    return;
  }
  const int64_t tile_chunks = 32 * U;
  const uint4* w = RowPointer(p, row);
  int64_t base = 0;
  uint4 cur[U], next[U];
  LoadWeights<U>(w, 0, p.k_chunks, lane, cur);
  WaitForPriorKernels();  // the activations come from the kernel before
  float acc[M] = {};
  while (true) {
    // The tile after this one: the rest of this row, else the next row's first.
    int64_t next_row = row, next_base = base + tile_chunks;
    if (next_base >= p.k_chunks) {
      next_row = row + 1;
      next_base = 0;
    }
    const bool more = next_row < row_end;
    const uint4* next_w = next_row == row ? w : (more ? RowPointer(p, next_row) : w);
    if (more) LoadWeights<U>(next_w, next_base, p.k_chunks, lane, next);
    DotTile<M, U>(p, base, lane, cur, acc);
    if (next_row != row) StoreRow<M>(p, row, lane, acc);
    if (!more) return;
    row = next_row;
    base = next_base;
    w = next_w;
#pragma unroll
    for (int u = 0; u < U; ++u) cur[u] = next[u];
  }
}

// Resident warps of the pipelined kernel across the device (queried once per instantiation).
template <int M, int U, int W>
int64_t ResidentWarps() {
  static const int64_t warps = [] {
    int blocks = 0;
    cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, GemvPipelinedKernel<M, U, W>, W * 32, 0);
    return static_cast<int64_t>(CurrentDeviceMultiprocessors()) * std::max(blocks, 1) * W;
  }();
  return warps;
}

template <int M, int U = kUnroll, int W = kWarps>
cudaError_t LaunchPipelined(GemvParams p, const GemvJob* jobs, cudaStream_t stream) {
  for (int j = 0; j < p.num_jobs; ++j) p.first_row[j + 1] = p.first_row[j] + jobs[j].n;
  const int64_t rows = p.first_row[p.num_jobs];
  if (rows == 0) return cudaSuccess;
  // As few rows per warp as fit all rows in one wave of resident warps, spread evenly.
  p.rows_per_warp = (rows + ResidentWarps<M, U, W>() - 1) / ResidentWarps<M, U, W>();
  const int64_t warps = (rows + p.rows_per_warp - 1) / p.rows_per_warp;
  return LaunchChained(GemvPipelinedKernel<M, U, W>, dim3(static_cast<unsigned>((warps + W - 1) / W)), dim3(W * 32),
                       0, stream, p);
}

template <int M>
cudaError_t LaunchRowPairs(GemvParams p, const GemvJob* jobs, cudaStream_t stream) {
  constexpr int kRows = 2;
  for (int j = 0; j < p.num_jobs; ++j)
    p.first_block[j + 1] = p.first_block[j] + (jobs[j].n + kWarps * kRows - 1) / (kWarps * kRows);
  if (p.first_block[p.num_jobs] == 0) return cudaSuccess;
  return LaunchChained(GemvRowPairsKernel<M, kUnroll, kRows, kWarps>,
                       dim3(static_cast<unsigned>(p.first_block[p.num_jobs])), dim3(kWarps * 32), 0, stream, p);
}

template <int M>
cudaError_t LaunchGatedRowPairs(GemvParams p, cudaStream_t stream) {
  p.first_block[1] = (p.jobs[0].n + kWarps - 1) / kWarps;  // one row of each weight per warp
  return LaunchChained(GemvRowPairsKernel<M, kUnroll, 2, kWarps, true>,
                       dim3(static_cast<unsigned>(p.first_block[1])), dim3(kWarps * 32), 0, stream, p);
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
  int64_t rows = 0;
  for (int j = 0; j < num_jobs; ++j) {
    p.jobs[j] = jobs[j];
    rows += jobs[j].n;
  }
  if (StreamedGemvSupports(m, k)) return LaunchStreamedGemv(x, m, k, jobs, num_jobs, {}, stream);
  const bool pipelined = k >= 8192 || rows < 6144;  // from the H200 sweep, see the top
  switch (m) {
    case 1: return pipelined ? LaunchPipelined<1>(p, jobs, stream) : LaunchRowPairs<1>(p, jobs, stream);
    case 2: return pipelined ? LaunchPipelined<2>(p, jobs, stream) : LaunchRowPairs<2>(p, jobs, stream);
    case 3: return pipelined ? LaunchPipelined<3>(p, jobs, stream) : LaunchRowPairs<3>(p, jobs, stream);
    case 4: return pipelined ? LaunchPipelined<4>(p, jobs, stream) : LaunchRowPairs<4>(p, jobs, stream);
    case 5: return pipelined ? LaunchPipelined<5>(p, jobs, stream) : LaunchRowPairs<5>(p, jobs, stream);
    case 6: return pipelined ? LaunchPipelined<6>(p, jobs, stream) : LaunchRowPairs<6>(p, jobs, stream);
    case 7: return pipelined ? LaunchPipelined<7>(p, jobs, stream) : LaunchRowPairs<7>(p, jobs, stream);
    default: return pipelined ? LaunchPipelined<8>(p, jobs, stream) : LaunchRowPairs<8>(p, jobs, stream);
  }
}

cudaError_t LaunchGatedGemv(const void* x, int64_t m, int64_t k, const void* gate, const void* up, int64_t n, int act,
                            void* out, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  GemvParams p{};
  p.x = static_cast<const uint4*>(x);
  p.k_chunks = k / 8;
  p.num_jobs = 1;
  p.jobs[0] = {gate, out, nullptr, n, false};
  p.jobs[1] = {up, nullptr, nullptr, n, false};
  p.gated_act = act;
  switch (m) {
    case 1: return LaunchGatedRowPairs<1>(p, stream);
    case 2: return LaunchGatedRowPairs<2>(p, stream);
    case 3: return LaunchGatedRowPairs<3>(p, stream);
    case 4: return LaunchGatedRowPairs<4>(p, stream);
    case 5: return LaunchGatedRowPairs<5>(p, stream);
    case 6: return LaunchGatedRowPairs<6>(p, stream);
    case 7: return LaunchGatedRowPairs<7>(p, stream);
    default: return LaunchGatedRowPairs<8>(p, stream);
  }
}

}  // namespace sgl::cuda
