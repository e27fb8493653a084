// Turning CUDA runtime and cuBLAS return codes into Status values, so that CUDA failures
// surface as errors a caller can act on rather than crashes.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include "base/status.h"

namespace sgl::cuda {

inline Status FromCuda(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return Status::Ok();
  const StatusCode code = err == cudaErrorMemoryAllocation ? StatusCode::kOutOfMemory : StatusCode::kInternal;
  return Status(code, fmt::format("{}: CUDA error {} ({})", what, cudaGetErrorName(err), cudaGetErrorString(err)));
}

inline Status FromCublas(cublasStatus_t err, const char* what) {
  if (err == CUBLAS_STATUS_SUCCESS) return Status::Ok();
  return Status(StatusCode::kInternal, fmt::format("{}: cuBLAS error {}", what, static_cast<int>(err)));
}

// Waits for `stream` and reports any error raised by work on it.
inline Status FromCudaSync(cudaStream_t stream) {
  const cudaError_t err = cudaStreamSynchronize(stream);
  return FromCuda(err != cudaSuccess ? err : cudaGetLastError(), "CUDA stream");
}

}  // namespace sgl::cuda
