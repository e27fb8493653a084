// The streamed matmul of one or two activation rows (gemv_stream_kernel.h). A weight row
// is cut into pieces of at most kMaxPieceChunks 16-byte chunks (one piece per row at
// k = 4096); the grid's W warps take rows round robin (warp w: rows w, w + W, ...), so at
// any moment the grid reads neighbouring rows, and each warp takes all pieces of a row in
// order (for a gated product: the gate row's pieces, then the up row's). Piece j of a warp lands in stage
// j % kStages of its ring, signalled by that stage's mbarrier; lane 0 issues piece
// j + kStages into the stage as soon as the warp has dotted piece j. Weights are read
// with an evict-first L2 policy, so the small tensors every step reads again (norm
// weights, RoPE tables, the KV cache) stay in L2. x's rows sit in shared memory, once
// per block; each landed chunk of weights is dotted with every row.
//
// Measured on the H200 (bench_cuda_decode, bench/RESULTS.md): 8 warps x 2 stages of 8 KB
// per multiprocessor streams at the copy bandwidth; 4 KB pieces or 4 warps ran 25-50%
// slower (each warp's pieces take their turn, so the warp count sets the pace).
#include "backend/cuda/gemv_stream_kernel.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/bulk_copy.cuh"
#include "backend/cuda/chained_launch.cuh"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/gemv_rows.cuh"

namespace sgl::cuda {
namespace {

constexpr int kWarps = 8;  // per block, one block per multiprocessor
constexpr int kThreads = kWarps * 32;
constexpr int kStages = 2;            // per warp
constexpr int kMaxPieceChunks = 512;  // 8 KB pieces
constexpr size_t kMaxSharedBytes = 200 * 1024;

struct StreamParams {
  const uint4* x;  // [m, k]
  const void* up;  // gated: the up weights (jobs[0] holds the gate weights and the output)
  int64_t k_chunks;
  int64_t rows;  // rows of all jobs together (gated: of the gate)
  int64_t first_row[kMaxGemvJobs + 1];  // job j owns rows [first_row[j], first_row[j + 1])
  GemvJob jobs[kMaxGemvJobs];
  int num_jobs;
  int piece_chunks;
  int pieces_per_row;
  int gated_act;
  GemvFusion fusion;
};

// Piece `piece` of part `part` (GATED: 0 gate, 1 up) of row `row` into `stage`,
// completing on `bar`.
template <bool GATED>
__device__ __forceinline__ void IssuePiece(const StreamParams& p, int64_t row, int part, int piece, uint4* stage,
                                           uint64_t* bar) {
  const uint4* w;
  if constexpr (GATED) {
    w = static_cast<const uint4*>(part == 0 ? p.jobs[0].w : p.up) + row * p.k_chunks;
  } else {
    const int j = JobOfRow(p, row);
    w = static_cast<const uint4*>(p.jobs[j].w) + (row - p.first_row[j]) * p.k_chunks;
  }
  const int64_t c0 = static_cast<int64_t>(piece) * p.piece_chunks;
  const uint32_t bytes = static_cast<uint32_t>(min(static_cast<int64_t>(p.piece_chunks), p.k_chunks - c0) * 16);
  BulkCopyToShared(stage, w + c0, bytes, bar, /*evict_first=*/true);
}

union Pack8 {
  uint4 raw;
  uint16_t h[8];
};

// Row m of xs = RMSNorm(row m of fusion.norm_src) * fusion.norm_weight, with the norm
// kernel's arithmetic (NormVec8Kernel: thread t sums the squares of chunks t, t + 256, ...
// in order, then a block sum), so the values are bit for bit the ones that kernel writes;
// block 0 also writes them to x for any later reader.
__device__ __forceinline__ void NormIntoShared(const StreamParams& p, int m, uint4* xs) {
  __shared__ float scratch[32];
  const uint4* src = static_cast<const uint4*>(p.fusion.norm_src) + m * p.k_chunks;
  xs += m * p.k_chunks;
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < p.k_chunks; i += kThreads) {
    Pack8 v;
    v.raw = src[i];
    xs[i] = v.raw;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const float f = Bf16ToFloat(v.h[j]);
      ss += f * f;
    }
  }
  const float inv_rms = rsqrtf(BlockSum(ss, scratch) / static_cast<float>(p.k_chunks * 8) + p.fusion.norm_eps);
  for (int64_t i = threadIdx.x; i < p.k_chunks; i += kThreads) {  // each thread rereads only its own chunks
    Pack8 v, o;
    v.raw = xs[i];
#pragma unroll
    for (int j = 0; j < 8; ++j) o.h[j] = FloatToBf16(Bf16ToFloat(v.h[j]) * inv_rms * p.fusion.norm_weight[i * 8 + j]);
    xs[i] = o.raw;
    if (blockIdx.x == 0) const_cast<uint4*>(p.x)[m * p.k_chunks + i] = o.raw;
  }
}

// Output row `row` for activation row m.
template <bool GATED>
__device__ __forceinline__ void StoreRow(const StreamParams& p, int m, int64_t row, float a0, float a1) {
  if constexpr (GATED) {
    StoreGated(p.jobs[0], m, row, a0, a1, p.gated_act);
  } else {
    const JobElement e = ElementOf(p, m, row);
    const uint16_t out = StoreElement(e, a0);
    if (p.fusion.residual != nullptr && !e.job->out_f32) {  // as AddRmsNorm's / Add's add: in float, rounded once
      uint16_t* residual = static_cast<uint16_t*>(p.fusion.residual) + e.offset;
      *residual = FloatToBf16(Bf16ToFloat(*residual) + Bf16ToFloat(out));
    }
  }
}

template <int M, bool GATED>
__global__ void __launch_bounds__(kThreads, 1) StreamedGemvKernel(StreamParams p) {
  LetNextKernelStart();
  extern __shared__ __align__(128) uint4 smem[];
  __shared__ __align__(8) uint64_t full[kWarps][kStages];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  uint4* stages = smem + warp * kStages * p.piece_chunks;
  uint4* xs = smem + kWarps * kStages * p.piece_chunks;
  const int64_t grid_warps = static_cast<int64_t>(gridDim.x) * kWarps;
  const int64_t first_row = static_cast<int64_t>(blockIdx.x) * kWarps + warp;
  const int my_rows = p.rows > first_row ? static_cast<int>((p.rows - first_row + grid_warps - 1) / grid_warps) : 0;
  const int per_row = (GATED ? 2 : 1) * p.pieces_per_row;
  const int pieces = my_rows * per_row;
  auto issue = [&](int j, int s) {
    const int rem = j % per_row;
    IssuePiece<GATED>(p, first_row + j / per_row * grid_warps, rem / p.pieces_per_row, rem % p.pieces_per_row,
                      stages + s * p.piece_chunks, &full[warp][s]);
  };
  if (lane == 0) {
    for (int s = 0; s < kStages; ++s) InitBarrier(&full[warp][s]);
    FenceBarrierInit();
    for (int s = 0; s < kStages && s < pieces; ++s) issue(s, s);  // before the wait: weights only
  }
  __syncwarp();
  WaitForPriorKernels();  // x (or the norm's input) comes from the kernel before
  if (p.fusion.norm_weight != nullptr) {
#pragma unroll
    for (int m = 0; m < M; ++m) NormIntoShared(p, m, xs);
  } else {
    for (int64_t c = threadIdx.x; c < M * p.k_chunks; c += kThreads) xs[c] = __ldg(p.x + c);
  }
  __syncthreads();

  float acc[2][M] = {};  // gate and up (GATED), else acc[0]
  int64_t row = first_row;
  for (int j = 0, rem = 0; j < pieces; ++j) {
    const int s = j % kStages;
    WaitBarrierPhase(&full[warp][s], static_cast<uint32_t>(j / kStages) & 1);
    const int piece = GATED && rem >= p.pieces_per_row ? rem - p.pieces_per_row : rem;
    const int64_t c0 = static_cast<int64_t>(piece) * p.piece_chunks;
    const int n = static_cast<int>(min(static_cast<int64_t>(p.piece_chunks), p.k_chunks - c0));
    const uint4* w = stages + s * p.piece_chunks;
    const uint4* xv = xs + c0;
    float dot[M] = {};
#pragma unroll 4
    for (int c = lane; c < n; c += 32) {
      const uint4 wc = w[c];
#pragma unroll
      for (int m = 0; m < M; ++m) Fma8(wc, xv[m * p.k_chunks + c], dot[m]);
    }
#pragma unroll
    for (int m = 0; m < M; ++m) {
      if (GATED && rem >= p.pieces_per_row) {
        acc[1][m] += dot[m];
      } else {
        acc[0][m] += dot[m];
      }
    }
    __syncwarp();  // every lane is done with stage s
    if (lane == 0 && j + kStages < pieces) issue(j + kStages, s);
    if (++rem == per_row) {
#pragma unroll
      for (int m = 0; m < M; ++m) {
        const float a0 = WarpSum(acc[0][m]), a1 = GATED ? WarpSum(acc[1][m]) : 0.0f;
        if (lane == 0) StoreRow<GATED>(p, m, row, a0, a1);
        acc[0][m] = acc[1][m] = 0.0f;
      }
      rem = 0;
      row += grid_warps;
    }
  }
}

// Rows of k_chunks cut into as few pieces of at most kMaxPieceChunks as can be, all the
// same size but the last.
int PiecesPerRow(int64_t k_chunks) { return static_cast<int>((k_chunks + kMaxPieceChunks - 1) / kMaxPieceChunks); }
int PieceChunks(int64_t k_chunks) {
  return static_cast<int>((k_chunks + PiecesPerRow(k_chunks) - 1) / PiecesPerRow(k_chunks));
}

// The stages of all warps, then x's m rows.
size_t SharedBytes(int64_t m, int64_t k_chunks) {
  return (static_cast<size_t>(kWarps) * kStages * PieceChunks(k_chunks) + static_cast<size_t>(m * k_chunks)) * 16;
}

int Multiprocessors() {
  static const int sms = CurrentDeviceMultiprocessors();
  return sms;
}

template <int M, bool GATED>
cudaError_t LaunchRows(const StreamParams& p, cudaStream_t stream) {
  static const cudaError_t raised = cudaFuncSetAttribute(
      StreamedGemvKernel<M, GATED>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(kMaxSharedBytes));
  if (raised != cudaSuccess) return raised;
  const int64_t blocks = std::min<int64_t>(Multiprocessors(), (p.rows + kWarps - 1) / kWarps);
  return LaunchChained(StreamedGemvKernel<M, GATED>, dim3(static_cast<unsigned>(blocks)), dim3(kThreads),
                       SharedBytes(M, p.k_chunks), stream, p);
}

template <bool GATED>
cudaError_t Launch(StreamParams p, int64_t m, cudaStream_t stream) {
  if (p.rows == 0) return cudaSuccess;
  p.pieces_per_row = PiecesPerRow(p.k_chunks);
  p.piece_chunks = PieceChunks(p.k_chunks);
  static_assert(kMaxStreamedRows == 2);
  return m == 1 ? LaunchRows<1, GATED>(p, stream) : LaunchRows<2, GATED>(p, stream);
}

}  // namespace

bool StreamedGemvSupports(int64_t m, int64_t k) {
  static const bool enabled = [] {
    const char* v = std::getenv("SGL_CUDA_GEMV_STREAM");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return enabled && m >= 1 && m <= kMaxStreamedRows && k > 0 && k % 8 == 0 &&
         SharedBytes(m, k / 8) <= kMaxSharedBytes;
}

bool StreamedGemvFusesNorm(int64_t m, int64_t k) { return StreamedGemvSupports(m, k) && k >= 1024 && k <= 8192; }

cudaError_t LaunchStreamedGemv(const void* x, int64_t m, int64_t k, const GemvJob* jobs, int num_jobs,
                               const GemvFusion& fusion, cudaStream_t stream) {
  StreamParams p{};
  p.x = static_cast<const uint4*>(x);
  p.k_chunks = k / 8;
  p.num_jobs = num_jobs;
  for (int j = 0; j < num_jobs; ++j) {
    p.jobs[j] = jobs[j];
    p.first_row[j + 1] = p.first_row[j] + jobs[j].n;
  }
  p.rows = p.first_row[num_jobs];
  p.fusion = fusion;
  return Launch<false>(p, m, stream);
}

cudaError_t LaunchStreamedGatedGemv(const void* x, int64_t m, int64_t k, const void* gate, const void* up, int64_t n,
                                    int act, void* out, const GemvFusion& fusion, cudaStream_t stream) {
  StreamParams p{};
  p.x = static_cast<const uint4*>(x);
  p.up = up;
  p.k_chunks = k / 8;
  p.num_jobs = 1;
  p.jobs[0] = {gate, out, nullptr, n, false};
  p.first_row[1] = n;
  p.rows = n;
  p.gated_act = act;
  p.fusion = fusion;
  return Launch<true>(p, m, stream);
}

}  // namespace sgl::cuda
