#include "backend/cuda/cublaslt_gemm.h"

#include <memory>

#include "backend/cuda/cuda_status.h"

namespace sgl::cuda {
namespace {

constexpr size_t kWorkspaceBytes = 32u << 20;

// Largest power of two (<= 256) dividing every address and row pitch the kernel touches.
int AlignmentOf(const void* x, const void* w, const void* out, int64_t k_bytes, int64_t out_row_bytes) {
  const uintptr_t bits = reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(w) |
                         reinterpret_cast<uintptr_t>(out) | static_cast<uintptr_t>(k_bytes) |
                         static_cast<uintptr_t>(out_row_bytes) | 256;
  return static_cast<int>(bits & (~bits + 1));
}

}  // namespace

Result<std::unique_ptr<CublasLtGemm>> CublasLtGemm::Create() {
  std::unique_ptr<CublasLtGemm> g(new CublasLtGemm());
  SGL_RETURN_IF_ERROR(FromCublas(cublasLtCreate(&g->handle_), "cublasLtCreate"));
  SGL_RETURN_IF_ERROR(FromCuda(cudaMalloc(&g->workspace_, kWorkspaceBytes), "cuBLASLt workspace"));
  g->workspace_bytes_ = kWorkspaceBytes;
  return g;
}

CublasLtGemm::~CublasLtGemm() {
  for (auto& [key, p] : plans_) {
    cublasLtMatrixLayoutDestroy(p.a);
    cublasLtMatrixLayoutDestroy(p.b);
    cublasLtMatrixLayoutDestroy(p.c);
    cublasLtMatmulDescDestroy(p.op);
  }
  if (workspace_ != nullptr) cudaFree(workspace_);
  if (handle_ != nullptr) cublasLtDestroy(handle_);
}

// Column-major view: out^T [n, m] = w [n, k] (stored as col-major [k, n], transposed) *
// x^T [k, m] (col-major [k, m]).
Result<const CublasLtGemm::Plan*> CublasLtGemm::PlanFor(const Key& key) {
  if (auto it = plans_.find(key); it != plans_.end()) return &it->second;
  const auto [m, n, k, out_f32, alignment] = key;
  Plan p;
  SGL_RETURN_IF_ERROR(FromCublas(cublasLtMatmulDescCreate(&p.op, CUBLAS_COMPUTE_32F, CUDA_R_32F), "matmul desc"));
  const cublasOperation_t trans_a = CUBLAS_OP_T, trans_b = CUBLAS_OP_N;
  cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSA, &trans_a, sizeof(trans_a));
  cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSB, &trans_b, sizeof(trans_b));
  const cudaDataType_t out_type = out_f32 ? CUDA_R_32F : CUDA_R_16BF;
  SGL_RETURN_IF_ERROR(FromCublas(cublasLtMatrixLayoutCreate(&p.a, CUDA_R_16BF, k, n, k), "layout w"));
  SGL_RETURN_IF_ERROR(FromCublas(cublasLtMatrixLayoutCreate(&p.b, CUDA_R_16BF, k, m, k), "layout x"));
  SGL_RETURN_IF_ERROR(FromCublas(cublasLtMatrixLayoutCreate(&p.c, out_type, n, m, n), "layout out"));

  cublasLtMatmulPreference_t pref = nullptr;
  SGL_RETURN_IF_ERROR(FromCublas(cublasLtMatmulPreferenceCreate(&pref), "preference"));
  const uint32_t align = static_cast<uint32_t>(alignment);
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes_,
                                       sizeof(workspace_bytes_));
  for (auto attr : {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                    CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES})
    cublasLtMatmulPreferenceSetAttribute(pref, attr, &align, sizeof(align));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(handle_, p.op, p.a, p.b, p.c, p.c, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (st != CUBLAS_STATUS_SUCCESS || found == 0) {
    cublasLtMatrixLayoutDestroy(p.a);
    cublasLtMatrixLayoutDestroy(p.b);
    cublasLtMatrixLayoutDestroy(p.c);
    cublasLtMatmulDescDestroy(p.op);
    return Status(StatusCode::kUnsupported,
                  fmt::format("cuBLASLt has no algorithm for a {}x{}x{} bf16 matmul (status {})", m, n, k, static_cast<int>(st)));
  }
  p.algo = result.algo;
  return &plans_.emplace(key, p).first->second;
}

Status CublasLtGemm::Run(const void* x, const void* w, void* out, bool out_f32, int64_t m, int64_t n, int64_t k,
                         cudaStream_t stream) {
  if (m == 0 || n == 0) return Status::Ok();
  SGL_ASSIGN_OR_RETURN(const Plan* p, PlanFor({m, n, k, out_f32, AlignmentOf(x, w, out, k * 2, n * (out_f32 ? 4 : 2))}));
  const float alpha = 1.0f, beta = 0.0f;
  return FromCublas(cublasLtMatmul(handle_, p->op, &alpha, w, p->a, x, p->b, &beta, out, p->c, out, p->c, &p->algo,
                                   workspace_, workspace_bytes_, stream),
                    "cublasLtMatmul");
}

}  // namespace sgl::cuda
