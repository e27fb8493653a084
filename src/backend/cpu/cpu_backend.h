// CpuBackend: the Backend on the host CPU. Activations and the KV cache are float32;
// weights stay in their file format (quantized blocks included) and are used in place
// from the memory map. Ops split their work over a ThreadPool owned by the backend.
// Not thread-safe: one thread drives it (see Backend).
#pragma once

#include <cstdlib>

#include <memory>
#include <vector>

#include "backend/backend.h"
#include "base/thread_pool.h"

namespace sgl {

class CpuBackend final : public Backend {
 public:
  // num_threads == 0: one per hardware thread.
  explicit CpuBackend(int num_threads);

  std::string Name() const override;
  DType ActivationDType() const override { return DType::kF32; }
  int num_threads() const { return pool_.size(); }

  Result<std::unique_ptr<DeviceBuffer>> Allocate(size_t bytes) override;
  Result<Tensor> PrepareWeight(const Tensor& host) override;
  Status CreateKvCache(const KvCacheShape& shape) override;
  size_t KvBytesPerSlot(const KvCacheShape& shape) const override;

  Status BeginForward(const ForwardBatch& batch) override;
  void Embed(const Tensor& table, int64_t first_id, float scale, Tensor out) override;
  void RmsNorm(const Tensor& x, const Tensor& weight, float eps, Tensor out) override;
  void AddRmsNorm(Tensor residual, const Tensor& x, const Tensor& weight, float eps, Tensor out) override;
  void MatMuls(const Tensor& x, std::span<const LinearJob> jobs) override;
  void Rope(Tensor x, int head_dim, const RopeSpec& rope) override;
  void StoreKv(int layer, const Tensor& k, const Tensor& v) override;
  void Attention(int layer, const Tensor& q, const AttentionSpec& spec, Tensor out) override;
  void GatedActivation(const Tensor& gate, const Tensor& up, Activation act, Tensor out) override;
  void Add(Tensor x, const Tensor& y) override;
  void GatherLogitRows(const Tensor& x, Tensor out) override;
  void ArgmaxRows(const Tensor& x, Tensor out) override;
  Status CopyToHost(const Tensor& x, float* dst) override;
  Status CopyToHost(const Tensor& x, int32_t* dst) override;
  void Upload(const float* src, Tensor dst) override;
  void LayerNorm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor out) override;
  void Gelu(const Tensor& x, Tensor out) override;
  void BidirectionalAttention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionSpec& spec,
                              Tensor out) override;

 private:
  struct FreeDeleter {
    void operator()(float* p) const { std::free(p); }
  };
  // From calloc: zero pages are committed only when first written, so a KV cache sized
  // from mem_fraction_static takes memory as it fills rather than all at creation.
  struct KvLayer {
    std::unique_ptr<float[], FreeDeleter> k;  // [num_slots, kv_heads * head_dim]
    std::unique_ptr<float[], FreeDeleter> v;
  };

  // cos/sin of every (new token, frequency) for one RopeSpec, computed once per step.
  struct RopeTable {
    const RopeSpec* spec = nullptr;
    std::vector<float> cos, sin;  // [num_tokens, inv_freq.size()]
  };
  const RopeTable& RopeTableFor(const RopeSpec& spec);

  ThreadPool pool_;
  std::vector<RopeTable> rope_tables_;  // cleared by BeginForward
  KvCacheShape kv_shape_;
  std::vector<KvLayer> kv_layers_;
  const ForwardBatch* batch_ = nullptr;  // valid between BeginForward and the next one
  // Converts x to `type` (cached per type for the current MatMuls call); returns the rows.
  const void* ConvertActivations(const Tensor& x, DType type);
  struct ConvertedActivations {
    DType type;
    std::vector<uint8_t> bytes;
  };
  std::vector<ConvertedActivations> converted_;  // scratch for MatMuls, reused across calls
  int num_converted_ = 0;
};

}  // namespace sgl
