// Bulk copies (TMA, cp.async.bulk) from global into shared memory that complete on a
// shared-memory mbarrier: the handful of sm_90 instructions the streamed kernels use.
// A barrier counts one arrival per phase (the thread that issues the copy); its phase
// completes when that arrival and all the copy's bytes are in. Device code only.
#pragma once

#include <cstdint>

namespace sgl::cuda {

__device__ __forceinline__ uint32_t SharedAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// One thread initializes a block's barriers, then fences before anyone else uses them.
__device__ __forceinline__ void InitBarrier(uint64_t* bar) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(SharedAddress(bar)) : "memory");
}
__device__ __forceinline__ void FenceBarrierInit() { asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory"); }

// The thread's arrival on `bar` for its current phase, which then also waits for `bytes`
// of bulk copies to land.
__device__ __forceinline__ void ArriveExpectingBytes(uint64_t* bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(SharedAddress(bar)), "r"(bytes)
               : "memory");
}

// Copies `bytes` (a multiple of 16; both addresses 16-byte aligned) from `src` to the
// shared `dst`, counted against the bytes `bar`'s current phase expects. With
// `evict_first`, the source lines are the first L2 gives up (data read once, such as
// weights).
__device__ __forceinline__ void BulkCopy(void* dst, const void* src, uint32_t bytes, uint64_t* bar, bool evict_first) {
  const uint32_t b = SharedAddress(bar);
  if (evict_first) {
    uint64_t policy;
    asm volatile("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(policy));
    asm volatile(
        "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes.L2::cache_hint"
        " [%0], [%1], %2, [%3], %4;" ::"r"(SharedAddress(dst)),
        "l"(src), "r"(bytes), "r"(b), "l"(policy)
        : "memory");
  } else {
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(
                     SharedAddress(dst)),
                 "l"(src), "r"(bytes), "r"(b)
                 : "memory");
  }
}

// One copy that completes the current phase of `bar` by itself: the arrival and the copy.
__device__ __forceinline__ void BulkCopyToShared(void* dst, const void* src, uint32_t bytes, uint64_t* bar,
                                                 bool evict_first) {
  ArriveExpectingBytes(bar, bytes);
  BulkCopy(dst, src, bytes, bar, evict_first);
}

// Waits until the phase of `bar` with this parity (0, 1, 0, ... for its phases in turn)
// has completed.
__device__ __forceinline__ void WaitBarrierPhase(uint64_t* bar, uint32_t parity) {
  const uint32_t b = SharedAddress(bar);
  uint32_t done = 0;
  while (!done) {
    asm volatile(
        "{ .reg .pred ready;\n"
        "mbarrier.try_wait.parity.shared::cta.b64 ready, [%1], %2;\n"
        "selp.u32 %0, 1, 0, ready; }\n"
        : "=r"(done)
        : "r"(b), "r"(parity)
        : "memory");
  }
}

}  // namespace sgl::cuda
