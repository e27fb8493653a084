// CublasLtGemm: out = x * w^T for row-major BF16 x [m, k] and w [n, k], out [m, n] in
// BF16 or float32, accumulating in float32, through cuBLASLt. The algorithm for each
// (shape, output type, alignment) is chosen once by cuBLASLt's heuristic and cached, so
// the steady state only enqueues the matmul. Owns its handle and workspace; one thread
// drives it (the backend's).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include "base/status.h"

namespace sgl::cuda {

class CublasLtGemm {
 public:
  static Result<std::unique_ptr<CublasLtGemm>> Create();
  ~CublasLtGemm();
  CublasLtGemm(const CublasLtGemm&) = delete;
  CublasLtGemm& operator=(const CublasLtGemm&) = delete;

  // Enqueues the product on `stream`. out_f32 selects the output type.
  Status Run(const void* x, const void* w, void* out, bool out_f32, int64_t m, int64_t n, int64_t k,
             cudaStream_t stream);

 private:
  // One cached plan: descriptors and the heuristic's algorithm for a shape.
  struct Plan {
    cublasLtMatmulDesc_t op = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
    cublasLtMatmulAlgo_t algo{};
  };
  using Key = std::tuple<int64_t, int64_t, int64_t, bool, int>;  // m, n, k, out_f32, alignment

  CublasLtGemm() = default;
  Result<const Plan*> PlanFor(const Key& key);

  cublasLtHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  std::map<Key, Plan> plans_;
};

}  // namespace sgl::cuda
