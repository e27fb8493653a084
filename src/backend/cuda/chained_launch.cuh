// Chained launches (Hopper's programmatic dependent launch): a kernel launched with
// LaunchChained may be scheduled while the kernel before it in the stream is still
// finishing, so its launch latency and its first loads of data no earlier kernel writes
// (weights) overlap that kernel's tail. Such a kernel must call WaitForPriorKernels()
// before it reads anything an earlier kernel wrote and before it writes anything; every
// thread that touches memory waits, so the kernel finishes only after all kernels before
// it have. It calls LetNextKernelStart() once its own blocks may be joined by the next
// kernel's. SGL_CUDA_PDL=0 in the environment launches everything plainly (for A/B runs).
#pragma once

#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace sgl::cuda {

__device__ __forceinline__ void WaitForPriorKernels() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ void LetNextKernelStart() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

inline bool ChainedLaunchEnabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("SGL_CUDA_PDL");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return enabled;
}

// kernel<<<grid, block, shared_bytes, stream>>>(args...), allowed to overlap the previous
// kernel as described above; with cluster_x > 1, the blocks run in thread block clusters
// of cluster_x consecutive blocks along x (which must divide grid.x). Returns the launch
// error.
template <typename... Params, typename... Args>
cudaError_t LaunchChainedInClusters(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes,
                                    unsigned cluster_x, cudaStream_t stream, Args&&... args) {
  cudaLaunchAttribute attributes[2] = {};
  unsigned count = 0;
  if (ChainedLaunchEnabled()) {
    attributes[count].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attributes[count++].val.programmaticStreamSerializationAllowed = 1;
  }
  if (cluster_x > 1) {
    attributes[count].id = cudaLaunchAttributeClusterDimension;
    attributes[count++].val.clusterDim = {cluster_x, 1, 1};
  }
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = shared_bytes;
  config.stream = stream;
  config.attrs = attributes;
  config.numAttrs = count;
  return cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
}

template <typename... Params, typename... Args>
cudaError_t LaunchChained(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream,
                          Args&&... args) {
  return LaunchChainedInClusters(kernel, grid, block, shared_bytes, 1, stream, std::forward<Args>(args)...);
}

}  // namespace sgl::cuda
