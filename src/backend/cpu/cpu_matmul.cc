// CpuBackend::MatMuls: out = x * w^T (+ bias) for several weights sharing the input x,
// with weights in any format. Activation rows are converted once per activation format,
// then the threads split the concatenated rows of all weights: each thread streams its
// slice of the weights exactly once and dots it against every activation row (the kernel
// reuses each decoded weight block across them).
#include <algorithm>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/quant/quant_kernels.h"

namespace sgl {
namespace {
// Rows per work unit: a multiple of every kernel's row tile, small enough to balance.
constexpr int64_t kRowGrain = 16;
}  // namespace

const void* CpuBackend::ConvertActivations(const Tensor& x, DType type) {
  if (type == DType::kF32) return x.data;
  for (int i = 0; i < num_converted_; ++i)
    if (converted_[i].type == type) return converted_[i].bytes.data();
  if (static_cast<int>(converted_.size()) <= num_converted_) converted_.emplace_back();
  ConvertedActivations& slot = converted_[num_converted_++];
  slot.type = type;
  const size_t row_bytes = RowBytes(type, x.cols);
  if (slot.bytes.size() < row_bytes * x.rows) slot.bytes.resize(row_bytes * x.rows);
  uint8_t* dst = slot.bytes.data();
  pool_.ParallelFor(x.rows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      cpu::QuantizeActivationRow(type, x.Rows(r, 1).As<float>(), dst + r * row_bytes, x.cols);
  });
  return dst;
}

void CpuBackend::MatMuls(const Tensor& x, std::span<const LinearJob> jobs) {
  num_converted_ = 0;
  std::vector<const void*> acts(jobs.size());
  std::vector<int64_t> first_row(jobs.size() + 1, 0);  // jobs[j] owns rows [first_row[j], first_row[j+1])
  for (size_t j = 0; j < jobs.size(); ++j) {
    acts[j] = ConvertActivations(x, cpu::ActivationTypeFor(jobs[j].w.dtype));
    first_row[j + 1] = first_row[j] + (jobs[j].w.rows + kRowGrain - 1) / kRowGrain * kRowGrain;
  }
  pool_.ParallelFor(first_row.back(), kRowGrain, [&](int64_t begin, int64_t end) {
    for (size_t j = 0; j < jobs.size(); ++j) {
      const LinearJob& job = jobs[j];
      const int64_t lo = std::max(begin, first_row[j]) - first_row[j];
      const int64_t hi = std::min({end, first_row[j + 1], first_row[j] + job.w.rows}) - first_row[j];
      if (lo >= hi) continue;
      const size_t w_row_bytes = job.w.RowBytes();
      const DType act_type = cpu::ActivationTypeFor(job.w.dtype);
      cpu::MatMulTile(job.w.dtype, static_cast<const uint8_t*>(job.w.data) + lo * w_row_bytes, w_row_bytes, hi - lo,
                      acts[j], RowBytes(act_type, x.cols), x.rows, x.cols, job.out.As<float>() + lo, job.out.cols);
      if (job.bias.empty()) continue;
      const float* b = job.bias.As<float>();
      for (int64_t a = 0; a < x.rows; ++a) {
        float* o = job.out.As<float>() + a * job.out.cols;
        for (int64_t r = lo; r < hi; ++r) o[r] += b[r];
      }
    }
  });
}

}  // namespace sgl
