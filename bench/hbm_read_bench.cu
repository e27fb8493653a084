// How fast can a kernel stream read-only data out of device memory? The physical limit
// under the batch-1 decode step, which mostly streams weights. Measures, in one run:
//  - the device-to-device copy bandwidth (bytes read + written per second), the ceiling
//    bench_cuda_decode divides by;
//  - plain 16-byte loads (what the skinny-matmul kernels issue), U loads in flight per
//    thread, over a grid of all resident blocks;
//  - bulk copies (TMA, cp.async.bulk) into shared memory, S stages of B bytes per block,
//    completing on mbarriers, in a grid of one or two blocks per multiprocessor;
//  - both at the sizes of one layer's matrices (32-224 MB), launched back to back over
//    buffers that rotate past the L2, which shows what each launch loses at its ends.
//   bench_hbm_read [--gib N]
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "backend/cuda/bulk_copy.cuh"

namespace {

#define CHECK(call)                                                                          \
  do {                                                                                       \
    const cudaError_t e = (call);                                                            \
    if (e != cudaSuccess) {                                                                  \
      std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e)); \
      std::exit(1);                                                                          \
    }                                                                                        \
  } while (0)

// Sink for the sums, so the loads are not dead code.
__device__ uint32_t g_sink;

template <int U>
__global__ void __launch_bounds__(256) LoadKernel(const uint4* data, int64_t chunks) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  uint32_t acc = 0;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < chunks; i += U * stride) {
    uint4 v[U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int64_t c = i + u * stride;
      v[u] = c < chunks ? __ldcs(data + c) : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int u = 0; u < U; ++u) acc ^= v[u].x ^ v[u].y ^ v[u].z ^ v[u].w;
  }
  if (acc == 0x12345678u) g_sink = acc;
}

// Bulk copies: block b takes pieces b, b + grid, ... of B bytes; S pieces in flight, each
// into its own stage completing on its own mbarrier. Thread 0 issues; the block reads
// one word per thread of each landed piece and releases the stage.
template <int S>
__global__ void __launch_bounds__(128) BulkKernel(const char* data, int64_t bytes, int piece) {
  extern __shared__ __align__(128) char stages[];
  __shared__ __align__(8) uint64_t full[S];
  const int64_t pieces = bytes / piece;
  if (threadIdx.x == 0) {
    for (int s = 0; s < S; ++s) sgl::cuda::InitBarrier(&full[s]);
    sgl::cuda::FenceBarrierInit();
  }
  __syncthreads();
  auto issue = [&](int s, int64_t p) {
    sgl::cuda::BulkCopyToShared(stages + static_cast<int64_t>(s) * piece, data + p * piece, piece, &full[s], false);
  };
  int64_t p = blockIdx.x;
  if (threadIdx.x == 0)
    for (int s = 0; s < S && p + static_cast<int64_t>(s) * gridDim.x < pieces; ++s)
      issue(s, p + static_cast<int64_t>(s) * gridDim.x);
  uint32_t acc = 0, phase = 0;
  for (int s = 0; p < pieces; p += gridDim.x) {
    sgl::cuda::WaitBarrierPhase(&full[s], phase);
    const uint32_t* words = reinterpret_cast<const uint32_t*>(stages + static_cast<int64_t>(s) * piece);
    for (int i = threadIdx.x; i < piece / 4; i += 128 * 8) acc ^= words[i];
    __syncthreads();  // every thread is done with stage s
    const int64_t next = p + static_cast<int64_t>(S) * gridDim.x;
    if (threadIdx.x == 0 && next < pieces) issue(s, next);
    if (++s == S) {
      s = 0;
      phase ^= 1;
    }
  }
  if (acc == 0x12345678u) g_sink = acc;
}

// Asks L2 for `bytes` at data (a multiple of 8 KB) in one of four ways, spread over the
// grid's threads: 0: 8 KB bulk prefetches; 1: prefetch.global.L2 of each 128-byte line;
// 2: the same with evict_last; 3: 16-byte loads whose values are thrown away.
__global__ void PrefetchKernel(const char* data, int64_t bytes, int how) {
  const int64_t threads = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t tid = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (how == 0) {
    for (int64_t i = tid; i * 8192 < bytes; i += threads)
      asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(data + i * 8192), "r"(8192u) : "memory");
    return;
  }
  uint32_t acc = 0;
  for (int64_t i = tid; i * 128 < bytes; i += threads) {
    const char* line = data + i * 128;
    if (how == 1) asm volatile("prefetch.global.L2 [%0];" ::"l"(line));
    if (how == 2) asm volatile("prefetch.global.L2::evict_last [%0];" ::"l"(line));
    if (how == 3) acc ^= __ldcg(reinterpret_cast<const uint32_t*>(line));
  }
  if (acc == 0x12345678u) g_sink = acc;
}

// Idles one block for about `ns` nanoseconds (memory stays quiet meanwhile).
__global__ void IdleKernel(int64_t ns) {
  const int64_t start = clock64();
  while (clock64() - start < ns * 2) __nanosleep(1000);  // ~2 cycles a nanosecond
}

struct Timer {
  cudaEvent_t start, stop;
  Timer() {
    CHECK(cudaEventCreate(&start));
    CHECK(cudaEventCreate(&stop));
  }
  template <typename F>
  double MedianSeconds(F&& f, int reps = 15) {
    f();
    CHECK(cudaDeviceSynchronize());
    std::vector<float> ms(reps);
    for (float& m : ms) {
      CHECK(cudaEventRecord(start));
      f();
      CHECK(cudaEventRecord(stop));
      CHECK(cudaEventSynchronize(stop));
      CHECK(cudaEventElapsedTime(&m, start, stop));
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2] * 1e-3;
  }
};

int ResidentBlocks(const void* kernel, int threads, size_t shared) {
  int device = 0, sms = 0, per_sm = 0;
  CHECK(cudaGetDevice(&device));
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, shared));
  return sms * std::max(per_sm, 1);
}

template <int U>
void LaunchLoads(const char* data, int64_t bytes, cudaStream_t stream = 0) {
  static const int grid = ResidentBlocks(reinterpret_cast<const void*>(LoadKernel<U>), 256, 0);
  LoadKernel<U><<<grid, 256, 0, stream>>>(reinterpret_cast<const uint4*>(data), bytes / 16);
}

template <int S>
void LaunchBulk(const char* data, int64_t bytes, int piece, int blocks_per_sm, cudaStream_t stream = 0) {
  int device = 0, sms = 0;
  CHECK(cudaGetDevice(&device));
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const size_t shared = static_cast<size_t>(S) * piece;
  CHECK(cudaFuncSetAttribute(BulkKernel<S>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared)));
  BulkKernel<S><<<sms * blocks_per_sm, 128, shared, stream>>>(data, bytes, piece);
}

}  // namespace

int main(int argc, char** argv) {
  double gib = 4;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::strcmp(argv[i], "--gib") == 0) gib = std::atof(argv[i + 1]);
  const int64_t bytes = static_cast<int64_t>(gib * (1ll << 30)) / (1 << 20) * (1 << 20);
  char* data = nullptr;
  CHECK(cudaMalloc(&data, bytes));
  CHECK(cudaMemset(data, 0x5a, bytes));  // not zeros
  Timer timer;
  const double tb = 1e12;

  char* copy_dst = nullptr;
  CHECK(cudaMalloc(&copy_dst, bytes / 2));
  const double copy_s =
      timer.MedianSeconds([&] { CHECK(cudaMemcpyAsync(copy_dst, data, bytes / 2, cudaMemcpyDeviceToDevice)); });
  CHECK(cudaFree(copy_dst));
  const double copy_bw = bytes / copy_s;  // half read + half written
  std::printf("copy (read+write)              %6.3f TB/s\n", copy_bw / tb);

  auto report = [&](const char* name, double seconds, int64_t n) {
    std::printf("%-30s %6.3f TB/s  %.3f of copy\n", name, n / seconds / tb, n / seconds / copy_bw);
  };
  report("loads, 2 in flight", timer.MedianSeconds([&] { LaunchLoads<2>(data, bytes); }), bytes);
  report("loads, 4 in flight", timer.MedianSeconds([&] { LaunchLoads<4>(data, bytes); }), bytes);
  report("loads, 8 in flight", timer.MedianSeconds([&] { LaunchLoads<8>(data, bytes); }), bytes);
  report("loads, 16 in flight", timer.MedianSeconds([&] { LaunchLoads<16>(data, bytes); }), bytes);
  const int pieces[] = {4096, 8192, 16384, 32768};
  for (int piece : pieces) {
    for (int per_sm : {1, 2}) {
      char name[64];
      std::snprintf(name, sizeof name, "bulk 4 x %2d KB, %d block/SM", piece / 1024, per_sm);
      report(name, timer.MedianSeconds([&] { LaunchBulk<4>(data, bytes, piece, per_sm); }), bytes);
      std::snprintf(name, sizeof name, "bulk 8 x %2d KB, %d block/SM", piece / 1024, per_sm);
      if (8 * piece * per_sm <= 200 * 1024)
        report(name, timer.MedianSeconds([&] { LaunchBulk<8>(data, bytes, piece, per_sm); }), bytes);
    }
  }

  // One layer's matrix sizes, launched back to back over rotating buffers (past the L2).
  std::printf("back-to-back launches of one matrix size (rotating through %.1f GiB):\n", gib);
  for (int64_t mb : {32, 48, 112, 224}) {
    const int64_t size = mb << 20;
    const int count = static_cast<int>(bytes / size);
    auto sweep = [&](auto launch) {
      return timer.MedianSeconds([&] {
        for (int i = 0; i < count; ++i) launch(data + i * size, size);
      }, 7);
    };
    const double loads = sweep([](const char* d, int64_t n) { LaunchLoads<4>(d, n); });
    const double bulk = sweep([](const char* d, int64_t n) { LaunchBulk<4>(d, n, 16384, 2); });
    std::printf("  %3lld MB: loads %6.3f TB/s (%.1f us each), bulk 4 x 16 KB %6.3f TB/s (%.1f us each)\n",
                static_cast<long long>(mb), count * size / loads / tb, loads / count * 1e6, count * size / bulk / tb,
                bulk / count * 1e6);
  }
  // A region read cold, read again (warm: what L2 holds), and read after an L2 prefetch of
  // it and 30 us of idle memory (does the prefetch land and stay?).
  std::printf("reads of one region (loads, 4 in flight): cold / warm / after an L2 prefetch:\n");
  cudaEvent_t a, b;
  CHECK(cudaEventCreate(&a));
  CHECK(cudaEventCreate(&b));
  for (int64_t mb : {8, 16, 32, 48}) {
    const int64_t size = mb << 20;
    const int regions = static_cast<int>(bytes / size);
    auto timed = [&](const char* region, int prefetch, bool twice) {
      std::vector<float> ms(9);
      for (int r = 0; r < 9; ++r) {
        LaunchLoads<4>(data + ((r + 1) % regions) * size, size);  // something else in L2
        if (twice) LaunchLoads<4>(region, size);
        if (prefetch >= 0) PrefetchKernel<<<264, 256>>>(region, size, prefetch);
        IdleKernel<<<1, 32>>>(30000);
        CHECK(cudaEventRecord(a));
        LaunchLoads<4>(region, size);
        CHECK(cudaEventRecord(b));
        CHECK(cudaEventSynchronize(b));
        CHECK(cudaEventElapsedTime(&ms[r], a, b));
      }
      std::sort(ms.begin(), ms.end());
      return ms[4] * 1e3;
    };
    std::printf("  %3lld MB: cold %.1f us, warm %.1f us; prefetched: bulk %.1f, lines %.1f, lines evict_last %.1f, "
                "loads %.1f us\n",
                static_cast<long long>(mb), timed(data, -1, false), timed(data, -1, true), timed(data, 0, false),
                timed(data, 1, false), timed(data, 2, false), timed(data, 3, false));
  }
  CHECK(cudaGetLastError());
  CHECK(cudaFree(data));
  return 0;
}
