// CudaBackend's held-back ops of decode batches of one or two rows (see PendingMatMul in
// cuda_backend.h): a decode layer runs its norms and residual adds inside its matmuls.
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_status.h"

namespace sgl {
namespace {

bool Aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

}  // namespace

bool CudaBackend::StreamsRows(const Tensor& x, std::span<const LinearJob> jobs) const {
  if (x.rows > gemv_max_rows_ || jobs.empty() || jobs.size() > static_cast<size_t>(cuda::kMaxGemvJobs) ||
      !cuda::StreamedGemvSupports(x.rows, x.cols))
    return false;
  cuda::GemvJob gemv[cuda::kMaxGemvJobs];
  for (size_t j = 0; j < jobs.size(); ++j) gemv[j] = {jobs[j].w.data, nullptr, nullptr, jobs[j].w.rows, false};
  return cuda::GemvSupports(x.data, x.rows, x.cols, gemv, static_cast<int>(jobs.size()));
}

void CudaBackend::StreamRows(const Tensor& x, std::span<const LinearJob> jobs) {
  const cuda::GemvFusion fusion = TakeNormOf(x);
  const LinearJob& first = jobs[0];
  if (jobs.size() == 1 && first.bias.empty() && first.out.dtype == DType::kBF16 && first.out.data != x.data) {
    pending_matmul_ = PendingMatMul{x, first, fusion};  // an add may follow
    return;
  }
  cuda::GemvJob gemv[cuda::kMaxGemvJobs];
  for (size_t j = 0; j < jobs.size(); ++j) {
    const LinearJob& job = jobs[j];
    gemv[j] = {job.w.data, job.out.data, job.bias.empty() ? nullptr : job.bias.As<float>(), job.w.rows,
               job.out.dtype == DType::kF32};
  }
  Fail(cuda::FromCuda(
      cuda::LaunchStreamedGemv(x.data, x.rows, x.cols, gemv, static_cast<int>(jobs.size()), fusion, stream_), "gemv"));
}

cuda::GemvFusion CudaBackend::TakeNormOf(const Tensor& x) {
  cuda::GemvFusion fusion;
  if (!pending_norm_) return fusion;
  if (pending_norm_->out.data != x.data || x.rows != pending_norm_->out.rows || x.cols != pending_norm_->out.cols) {
    LaunchPendingNorm();
    return fusion;
  }
  fusion.norm_src = pending_norm_->x.data;
  fusion.norm_weight = pending_norm_->weight.As<float>();
  fusion.norm_eps = pending_norm_->eps;
  pending_norm_.reset();
  ++num_folded_ops_;
  return fusion;
}

bool CudaBackend::NormFolds(const Tensor& x, const Tensor& weight, const Tensor& out) const {
  return x.rows <= gemv_max_rows_ && out.rows == x.rows && x.dtype == DType::kBF16 && out.dtype == DType::kBF16 &&
         weight.dtype == DType::kF32 && weight.cols == x.cols && out.cols == x.cols && out.data != x.data &&
         Aligned16(x.data) && Aligned16(out.data) && cuda::StreamedGemvFusesNorm(x.rows, x.cols);
}

bool CudaBackend::AddFolds(const Tensor& residual, const Tensor& sum) const {
  // The matmul must not read the residual it would write: not as x, not as its norm's input
  // (other blocks may still be reading it when a block stores its rows).
  return pending_matmul_ && pending_matmul_->job.out.data == sum.data && residual.rows == sum.rows &&
         residual.dtype == DType::kBF16 && sum.dtype == DType::kBF16 && residual.cols == sum.cols &&
         residual.data != sum.data && residual.data != pending_matmul_->x.data &&
         residual.data != pending_matmul_->fusion.norm_src;
}

void CudaBackend::LaunchPendingMatMul(void* residual) {
  PendingMatMul m = *pending_matmul_;
  pending_matmul_.reset();
  m.fusion.residual = residual;
  if (residual != nullptr) ++num_folded_ops_;
  const cuda::GemvJob job{m.job.w.data, m.job.out.data, nullptr, m.job.w.rows, false};
  Fail(cuda::FromCuda(cuda::LaunchStreamedGemv(m.x.data, m.x.rows, m.x.cols, &job, 1, m.fusion, stream_), "gemv"));
}

void CudaBackend::LaunchPendingNorm() {
  const PendingNorm n = *pending_norm_;
  pending_norm_.reset();
  cuda::LaunchRmsNorm(static_cast<const cuda::bf16_bits*>(n.x.data), n.weight.As<float>(), n.x.rows, n.x.cols, n.eps,
                      static_cast<cuda::bf16_bits*>(n.out.data), stream_);
  CheckLaunch("RmsNorm");
}

}  // namespace sgl
