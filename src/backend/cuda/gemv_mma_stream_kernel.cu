// The streamed tensor-core matmul of 3 to 8 activation rows (gemv_mma_stream_kernel.h).
// Block b takes weight-row groups b, b + G, ... (G blocks); for each group every warp
// takes its eighth of k: a piece of 8 rows (for a gated product, the gate's 8 rows, then
// the up's) lands in the warp's ring by 8 bulk copies completing on the stage's mbarrier,
// rows padded so that the 8 rows of a fragment load fall in different banks. A warp's
// fragment of x's rows for its columns stays in registers for the whole launch; each
// piece is one mma.m16n8k16 per 16 columns (x rows 0-7 as a's rows, 8-15 zero; the 8
// weight rows as b's columns). The 8 warps' partial tiles meet in shared memory (double
// buffered) and 64 threads add them in warp order and store the group's outputs.
#include "backend/cuda/gemv_mma_stream_kernel.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/bulk_copy.cuh"
#include "backend/cuda/chained_launch.cuh"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/gemv_rows.cuh"
#include "backend/cuda/mma.cuh"

namespace sgl::cuda {
namespace {

constexpr int kWarps = 8;  // per block, one block per multiprocessor
constexpr int kThreads = kWarps * 32;
constexpr int kStages = 2;      // per warp
constexpr int kGroupRows = 8;   // weight rows a group: one n8 tile
constexpr int kMaxK = 4096;
constexpr int kMaxSteps = kMaxK / kWarps / 16;  // k-steps of 16 a warp takes
constexpr int kPitchPad = 8;    // bf16 after each staged row (16 bytes)

struct Params {
  const uint16_t* x;  // [m, k]
  const void* up;     // gated: the up weights (jobs[0] holds the gate weights and the output)
  int64_t k;
  int m;
  int slice;       // k / kWarps: the columns of each warp
  int64_t groups;  // row groups of all jobs together
  int64_t first_row[kMaxGemvJobs + 1];  // job j owns rows [first_row[j], first_row[j + 1])
  GemvJob jobs[kMaxGemvJobs];
  int num_jobs;
  int act;
};

// Output (x row r, weight row `row`) from its sums (gated: the gate's, then the up's).
template <bool GATED>
__device__ __forceinline__ void StoreOutput(const Params& p, int r, int64_t row, float a0, float a1) {
  if constexpr (GATED) {
    StoreGated(p.jobs[0], r, row, a0, a1, p.act);
  } else {
    StoreElement(ElementOf(p, r, row), a0);
  }
}

template <bool GATED>
__global__ void __launch_bounds__(kThreads, 1) MmaStreamedGemvKernel(const __grid_constant__ Params p) {
  LetNextKernelStart();
  constexpr int kParts = GATED ? 2 : 1;
  extern __shared__ __align__(128) uint16_t ring_smem[];
  __shared__ __align__(8) uint64_t full[kWarps][kStages];
  __shared__ float sums[2][kParts][kWarps][kGroupRows * kGroupRows];  // a group's partial tiles
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int group = lane >> 2, quad = lane & 3;  // a fragment's row within 8, and column pair
  const int pitch = p.slice + kPitchPad;
  const int stage_elems = kGroupRows * pitch;
  uint16_t* ring = ring_smem + warp * kStages * stage_elems;
  const int64_t k0 = static_cast<int64_t>(warp) * p.slice;  // this warp's columns [k0, k0 + slice)
  const int64_t my_groups = p.groups > blockIdx.x ? (p.groups - blockIdx.x + gridDim.x - 1) / gridDim.x : 0;
  const int64_t pieces = my_groups * kParts;

  // Piece q: part q % kParts of group blockIdx.x + (q / kParts) * gridDim.x, into stage s.
  auto issue = [&](int64_t q, int s) {
    const int64_t row0 = (blockIdx.x + q / kParts * gridDim.x) * kGroupRows;
    const uint16_t* w;
    if constexpr (GATED) {
      w = static_cast<const uint16_t*>(q % kParts == 0 ? p.jobs[0].w : p.up) + row0 * p.k;
    } else {
      const int j = JobOfRow(p, row0);
      w = static_cast<const uint16_t*>(p.jobs[j].w) + (row0 - p.first_row[j]) * p.k;
    }
    const uint32_t bytes = static_cast<uint32_t>(p.slice) * 2;
    ArriveExpectingBytes(&full[warp][s], bytes * kGroupRows);
    for (int r = 0; r < kGroupRows; ++r)
      BulkCopy(ring + s * stage_elems + r * pitch, w + r * p.k + k0, bytes, &full[warp][s], /*evict_first=*/true);
  };
  if (lane == 0) {
    for (int s = 0; s < kStages; ++s) InitBarrier(&full[warp][s]);
    FenceBarrierInit();
    for (int s = 0; s < kStages && s < pieces; ++s) issue(s, s);  // before the wait: weights only
  }
  __syncwarp();
  WaitForPriorKernels();  // x comes from the kernel before

  // x's a fragments for this warp's columns: k-step t holds row `group` (zero from m on) at
  // columns k0 + 16t + 2quad (+1) and + 8 (+9); rows 8-15 of the tile are zero.
  const int steps = p.slice / 16;
  uint32_t xa[kMaxSteps][2];
#pragma unroll
  for (int t = 0; t < kMaxSteps; ++t) {
    xa[t][0] = xa[t][1] = 0u;
    if (t < steps && group < p.m) {
      const uint16_t* xr = p.x + group * p.k + k0 + t * 16 + 2 * quad;
      xa[t][0] = *reinterpret_cast<const uint32_t*>(xr);
      xa[t][1] = *reinterpret_cast<const uint32_t*>(xr + 8);
    }
  }

  for (int64_t g = 0; g < my_groups; ++g) {
    float c[kParts][4] = {};
#pragma unroll
    for (int part = 0; part < kParts; ++part) {
      const int64_t q = g * kParts + part;
      const int s = static_cast<int>(q % kStages);
      WaitBarrierPhase(&full[warp][s], static_cast<uint32_t>(q / kStages) & 1);
      const uint16_t* b_row = ring + s * stage_elems + group * pitch + 2 * quad;  // weight row `group`
#pragma unroll
      for (int t = 0; t < kMaxSteps; ++t) {
        if (t < steps) {
          const uint32_t a[4] = {xa[t][0], 0u, xa[t][1], 0u};
          Mma(c[part], a, *reinterpret_cast<const uint32_t*>(b_row + t * 16),
              *reinterpret_cast<const uint32_t*>(b_row + t * 16 + 8));
        }
      }
      __syncwarp();  // every lane is done with stage s
      if (lane == 0 && q + kStages < pieces) issue(q + kStages, s);
    }
    // c[part][0], [1]: x row `group`, the group's weight rows 2quad and 2quad + 1.
    const int buf = static_cast<int>(g & 1);
#pragma unroll
    for (int part = 0; part < kParts; ++part) {
      sums[buf][part][warp][group * kGroupRows + 2 * quad] = c[part][0];
      sums[buf][part][warp][group * kGroupRows + 2 * quad + 1] = c[part][1];
    }
    __syncthreads();  // every warp's tile is in (and buffer buf was read two groups ago)
    if (threadIdx.x < kGroupRows * kGroupRows) {
      const int r = threadIdx.x / kGroupRows, col = threadIdx.x % kGroupRows;
      if (r < p.m) {
        float v[kParts] = {};
#pragma unroll
        for (int part = 0; part < kParts; ++part) {
#pragma unroll
          for (int w = 0; w < kWarps; ++w) v[part] += sums[buf][part][w][threadIdx.x];
        }
        StoreOutput<GATED>(p, r, (blockIdx.x + g * gridDim.x) * kGroupRows + col, v[0], v[kParts - 1]);
      }
    }
  }
}

size_t SharedBytes(int slice) {
  return static_cast<size_t>(kWarps) * kStages * kGroupRows * (slice + kPitchPad) * sizeof(uint16_t);
}

template <bool GATED>
cudaError_t Launch(Params p, cudaStream_t stream) {
  static const cudaError_t raised =
      cudaFuncSetAttribute(MmaStreamedGemvKernel<GATED>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           static_cast<int>(SharedBytes(kMaxK / kWarps)));
  if (raised != cudaSuccess) return raised;
  if (p.groups == 0) return cudaSuccess;
  p.slice = static_cast<int>(p.k / kWarps);
  static const int sms = CurrentDeviceMultiprocessors();
  const int64_t blocks = std::min<int64_t>(sms, p.groups);
  return LaunchChained(MmaStreamedGemvKernel<GATED>, dim3(static_cast<unsigned>(blocks)), dim3(kThreads),
                       SharedBytes(p.slice), stream, p);
}

bool Aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

}  // namespace

bool MmaStreamedGemvSupports(const void* x, int64_t m, int64_t k, const GemvJob* jobs, int num_jobs) {
  static const bool enabled = [] {
    const char* v = std::getenv("SGL_CUDA_STREAM_MMA");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  if (!enabled || m < kMinMmaStreamedRows || m > kMaxMmaStreamedRows || k <= 0 || k % 128 != 0 || k > kMaxK ||
      num_jobs < 1 || num_jobs > kMaxGemvJobs || !Aligned16(x))
    return false;
  for (int j = 0; j < num_jobs; ++j)
    if (jobs[j].n <= 0 || jobs[j].n % kGroupRows != 0 || !Aligned16(jobs[j].w)) return false;
  return true;
}

cudaError_t LaunchMmaStreamedGemv(const void* x, int64_t m, int64_t k, const GemvJob* jobs, int num_jobs,
                                  cudaStream_t stream) {
  Params p{};
  p.x = static_cast<const uint16_t*>(x);
  p.k = k;
  p.m = static_cast<int>(m);
  p.num_jobs = num_jobs;
  for (int j = 0; j < num_jobs; ++j) {
    p.jobs[j] = jobs[j];
    p.first_row[j + 1] = p.first_row[j] + jobs[j].n;
  }
  p.groups = p.first_row[num_jobs] / kGroupRows;
  return Launch<false>(p, stream);
}

cudaError_t LaunchMmaStreamedGatedGemv(const void* x, int64_t m, int64_t k, const void* gate, const void* up,
                                       int64_t n, int act, void* out, cudaStream_t stream) {
  Params p{};
  p.x = static_cast<const uint16_t*>(x);
  p.up = up;
  p.k = k;
  p.m = static_cast<int>(m);
  p.num_jobs = 1;
  p.jobs[0] = {gate, out, nullptr, n, false};
  p.first_row[1] = n;
  p.groups = n / kGroupRows;
  p.act = act;
  return Launch<true>(p, stream);
}

}  // namespace sgl::cuda
