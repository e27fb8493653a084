// CpuBackend::MatMul: out = x * w^T (+ bias) with w in any weight format.
// Activation rows are converted once to the weight's activation format, then threads
// split the weight's rows: every thread streams its own slice of w exactly once and
// dots it against all activation rows (the kernel reuses each decoded block across them).
#include <algorithm>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/quant/quant_kernels.h"

namespace sgl {
namespace {
// Rows per work unit: a multiple of every kernel's row tile, small enough to balance.
constexpr int64_t kRowGrain = 16;
}  // namespace

void CpuBackend::MatMul(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor out) {
  const int64_t k = x.cols;
  const DType act_type = cpu::ActivationTypeFor(w.dtype);
  const void* acts = x.data;
  size_t act_row_bytes = x.RowBytes();
  if (act_type != DType::kF32) {
    act_row_bytes = RowBytes(act_type, k);
    if (quantized_acts_.size() < act_row_bytes * x.rows) quantized_acts_.resize(act_row_bytes * x.rows);
    uint8_t* dst = quantized_acts_.data();
    pool_.ParallelFor(x.rows, 1, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r)
        cpu::QuantizeActivationRow(act_type, x.Rows(r, 1).As<float>(), dst + r * act_row_bytes, k);
    });
    acts = dst;
  }
  const size_t w_row_bytes = w.RowBytes();
  pool_.ParallelFor(w.rows, kRowGrain, [&](int64_t begin, int64_t end) {
    cpu::MatMulTile(w.dtype, static_cast<const uint8_t*>(w.data) + begin * w_row_bytes, w_row_bytes, end - begin,
                    acts, act_row_bytes, x.rows, k, out.As<float>() + begin, out.cols);
    if (!bias.empty()) {
      const float* b = bias.As<float>();
      for (int64_t a = 0; a < x.rows; ++a) {
        float* o = out.As<float>() + a * out.cols;
        for (int64_t r = begin; r < end; ++r) o[r] += b[r];
      }
    }
  });
}

}  // namespace sgl
