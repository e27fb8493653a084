#include "backend/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "backend/cpu/quant/quant_kernels.h"
#include "backend/cpu/vec_math.h"
#include "backend/row_sampling.h"

namespace sgl {
namespace {

class HostBuffer final : public DeviceBuffer {
 public:
  HostBuffer(void* data, size_t size) : data_(data), size_(size) {}
  ~HostBuffer() override { std::free(data_); }
  void* data() const override { return data_; }
  size_t size() const override { return size_; }

 private:
  void* data_;
  size_t size_;
};

void RmsNormRow(const float* x, const float* w, float eps, int64_t n, float* out) {
  const float inv_rms = 1.0f / std::sqrt(cpu::SumOfSquaresF32(x, n) / static_cast<float>(n) + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * inv_rms * w[i];
}

}  // namespace

CpuBackend::CpuBackend(int num_threads) : pool_(num_threads) {}

std::string CpuBackend::Name() const {
  return fmt::format("cpu ({} threads, {} kernels)", pool_.size(), cpu::KernelIsaName());
}

Result<std::unique_ptr<DeviceBuffer>> CpuBackend::Allocate(size_t bytes) {
  constexpr size_t kAlign = 64;
  const size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded == 0 ? kAlign : rounded);
  if (p == nullptr) return Status(StatusCode::kOutOfMemory, fmt::format("cannot allocate {} bytes", bytes));
  return std::unique_ptr<DeviceBuffer>(std::make_unique<HostBuffer>(p, bytes));
}

Result<Tensor> CpuBackend::PrepareWeight(const Tensor& host) { return host; }

size_t CpuBackend::KvBytesPerSlot(const KvCacheShape& shape) const {
  return 2 * sizeof(float) * static_cast<size_t>(shape.num_layers) * shape.num_kv_heads * shape.head_dim;
}

Status CpuBackend::CreateKvCache(const KvCacheShape& shape) {
  kv_shape_ = shape;
  kv_layers_.clear();
  kv_layers_.resize(shape.num_layers);
  const size_t floats = static_cast<size_t>(shape.num_slots) * shape.num_kv_heads * shape.head_dim;
  for (auto& layer : kv_layers_) {
    layer.k.reset(static_cast<float*>(std::calloc(std::max<size_t>(floats, 1), sizeof(float))));
    layer.v.reset(static_cast<float*>(std::calloc(std::max<size_t>(floats, 1), sizeof(float))));
    if (layer.k && layer.v) continue;
    kv_layers_.clear();
    return Status(StatusCode::kOutOfMemory,
                  fmt::format("cannot allocate a KV cache of {} slots ({} MiB)", shape.num_slots,
                              KvBytesPerSlot(shape) * shape.num_slots >> 20));
  }
  return Status::Ok();
}

Status CpuBackend::BeginForward(const ForwardBatch& batch) {
  if (!batch.SlotsWithin(kv_shape_.num_slots))
    return InvalidArgument("KV slot outside the cache of {} slots", kv_shape_.num_slots);
  if (!batch.SamplingWithinBounds()) return InvalidArgument("the batch's sampling rows name edits or masks it lacks");
  batch_ = &batch;
  rope_tables_.clear();
  return Status::Ok();
}

void CpuBackend::Embed(const Tensor& table, int64_t first_id, float scale, Tensor out) {
  const auto& ids = batch_->input_ids;
  pool_.ParallelFor(static_cast<int64_t>(ids.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      float* row = out.Rows(t, 1).As<float>();
      const int64_t index = ids[t] - first_id;
      if (index < 0 || index >= table.rows) {
        std::fill(row, row + table.cols, 0.0f);
        continue;
      }
      cpu::DequantizeRow(table.dtype, table.Rows(index, 1).data, row, table.cols);
      if (scale != 1.0f) cpu::ScaleF32(scale, row, table.cols);
    }
  });
}

void CpuBackend::RmsNorm(const Tensor& x, const Tensor& weight, float eps, Tensor out) {
  const int64_t group = weight.cols;
  const int64_t num_groups = x.rows * (x.cols / group);
  const float* w = weight.As<float>();
  pool_.ParallelFor(num_groups, 16, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g)
      RmsNormRow(x.As<float>() + g * group, w, eps, group, out.As<float>() + g * group);
  });
}

void CpuBackend::AddRmsNorm(Tensor residual, const Tensor& x, const Tensor& weight, float eps, Tensor out) {
  const float* w = weight.As<float>();
  pool_.ParallelFor(residual.rows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* res = residual.Rows(r, 1).As<float>();
      const float* add = x.Rows(r, 1).As<float>();
      for (int64_t i = 0; i < residual.cols; ++i) res[i] += add[i];
      RmsNormRow(res, w, eps, residual.cols, out.Rows(r, 1).As<float>());
    }
  });
}

const CpuBackend::RopeTable& CpuBackend::RopeTableFor(const RopeSpec& spec) {
  for (const RopeTable& t : rope_tables_)
    if (t.spec == &spec) return t;
  RopeTable& table = rope_tables_.emplace_back();
  table.spec = &spec;
  const int64_t half = static_cast<int64_t>(spec.inv_freq.size());
  const auto& positions = batch_->positions;
  // The position source of each frequency: the batch's positions, or one of its axes.
  std::vector<const std::vector<int32_t>*> source(half, &positions);
  for (size_t a = 0, i = 0; a < spec.axis_sections.size(); ++a) {
    const auto* axis = a < batch_->axis_positions.size() ? &batch_->axis_positions[a] : &positions;
    for (int j = 0; j < spec.axis_sections[a] && i < source.size(); ++j) source[i++] = axis;
  }
  table.cos.resize(positions.size() * half);
  table.sin.resize(positions.size() * half);
  pool_.ParallelFor(static_cast<int64_t>(positions.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      for (int64_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>((*source[i])[t]) * spec.inv_freq[i];
        table.cos[t * half + i] = static_cast<float>(std::cos(angle)) * spec.attention_factor;
        table.sin[t * half + i] = static_cast<float>(std::sin(angle)) * spec.attention_factor;
      }
    }
  });
  return table;
}

void CpuBackend::Rope(Tensor x, int head_dim, const RopeSpec& rope) {
  const int64_t half = static_cast<int64_t>(rope.inv_freq.size());
  const int64_t num_heads = x.cols / head_dim;
  const RopeTable& table = RopeTableFor(rope);
  pool_.ParallelFor(x.rows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const float* cos_v = table.cos.data() + t * half;
      const float* sin_v = table.sin.data() + t * half;
      float* row = x.Rows(t, 1).As<float>();
      for (int64_t h = 0; h < num_heads; ++h) {
        float* head = row + h * head_dim;
        for (int64_t i = 0; i < half; ++i) {
          float* a = rope.neox ? head + i : head + 2 * i;
          float* b = rope.neox ? head + i + half : head + 2 * i + 1;
          const float x0 = *a, x1 = *b;
          *a = x0 * cos_v[i] - x1 * sin_v[i];
          *b = x1 * cos_v[i] + x0 * sin_v[i];
        }
      }
    }
  });
}

void CpuBackend::StoreKv(int layer, const Tensor& k, const Tensor& v) {
  KvLayer& kv = kv_layers_[layer];
  const int64_t width = k.cols;
  for (int64_t t = 0; t < k.rows; ++t) {
    const int64_t slot = batch_->out_kv_slots[t];
    std::memcpy(kv.k.get() + slot * width, k.Rows(t, 1).data, width * sizeof(float));
    std::memcpy(kv.v.get() + slot * width, v.Rows(t, 1).data, width * sizeof(float));
  }
}

void CpuBackend::GatedActivation(const Tensor& gate, const Tensor& up, Activation act, Tensor out) {
  pool_.ParallelFor(gate.rows, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* g = gate.Rows(r, 1).As<float>();
      const float* u = up.Rows(r, 1).As<float>();
      float* o = out.Rows(r, 1).As<float>();
      if (act == Activation::kSilu) {
        cpu::SiluMulF32(g, u, o, gate.cols);
      } else {
        cpu::GeluTanhMulF32(g, u, o, gate.cols);
      }
    }
  });
}

void CpuBackend::Add(Tensor x, const Tensor& y) {
  const int64_t n = x.rows * x.cols;
  float* a = x.As<float>();
  const float* b = y.As<float>();
  for (int64_t i = 0; i < n; ++i) a[i] += b[i];
}

void CpuBackend::GatherLogitRows(const Tensor& x, Tensor out) {
  const auto& rows = batch_->logit_rows;
  for (size_t i = 0; i < rows.size(); ++i) std::memcpy(out.Rows(i, 1).data, x.Rows(rows[i], 1).data, x.RowBytes());
}

void CpuBackend::SampleRows(const Tensor& x, Tensor out) {
  auto* ids = static_cast<int32_t*>(out.data);
  const uint32_t* masks = batch_->TokenMasks();
  for (int64_t r = 0; r < x.rows; ++r)
    ids[r] = SampleRowOnHost(x.Rows(r, 1).As<float>(), x.cols, batch_->SamplingOf(r), batch_->logit_edits.data(), masks);
}

Status CpuBackend::CopyToHost(const Tensor& x, float* dst) {
  std::memcpy(dst, x.data, x.NumBytes());
  return Status::Ok();
}

Status CpuBackend::CopyToHost(const Tensor& x, int32_t* dst) {
  std::memcpy(dst, x.data, x.NumBytes());
  return Status::Ok();
}

}  // namespace sgl
