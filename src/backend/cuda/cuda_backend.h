// CudaBackend: the Backend on one NVIDIA GPU. Activations and the KV cache are BF16;
// weights are converted to BF16 at load (from F32, F16, BF16 or any GGUF quantized type,
// dequantized on the host), while norm weights and biases ([1, n] vectors) stay float32.
// GEMMs run through cuBLASLt, attention through the paged kernels of attention_kernel.h.
// All work is enqueued on one stream owned here; CopyToHost is the only op that waits.
// Ops cannot return errors, so the first failure is kept and returned by the next
// CopyToHost (or BeginForward), and ops after it do nothing. After warm-up, a decode step
// of an unchanged batch size allocates no memory (buffers only grow).
// Not thread-safe: one thread drives it (see Backend).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <cuda_runtime_api.h>

#include "backend/backend.h"
#include "backend/cuda/attention_plan.h"
#include "backend/cuda/cublaslt_gemm.h"

namespace sgl {

class CudaBackend final : public Backend {
 public:
  // Fails when no GPU is visible or the CUDA runtime cannot start on `device`.
  static Result<std::unique_ptr<CudaBackend>> Create(int device = 0);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string Name() const override;
  DType ActivationDType() const override { return DType::kBF16; }
  cudaStream_t stream() const { return stream_; }

  Result<std::unique_ptr<DeviceBuffer>> Allocate(size_t bytes) override;
  Result<Tensor> PrepareWeight(const Tensor& host) override;
  Status CreateKvCache(const KvCacheShape& shape) override;
  size_t KvBytesPerSlot(const KvCacheShape& shape) const override;

  Status BeginForward(const ForwardBatch& batch) override;
  void Embed(const Tensor& table, float scale, Tensor out) override;
  void RmsNorm(const Tensor& x, const Tensor& weight, float eps, Tensor out) override;
  void AddRmsNorm(Tensor residual, const Tensor& x, const Tensor& weight, float eps, Tensor out) override;
  void MatMuls(const Tensor& x, std::span<const LinearJob> jobs) override;
  void Rope(Tensor x, int head_dim, const RopeSpec& rope) override;
  void StoreKv(int layer, const Tensor& k, const Tensor& v) override;
  void Attention(int layer, const Tensor& q, const AttentionSpec& spec, Tensor out) override;
  void GatedActivation(const Tensor& gate, const Tensor& up, Activation act, Tensor out) override;
  void Add(Tensor x, const Tensor& y) override;
  void GatherLogitRows(const Tensor& x, Tensor out) override;
  Status CopyToHost(const Tensor& x, float* dst) override;

  // Copies host bytes into a tensor's device memory and waits (for tests and tools).
  Status CopyFromHost(const void* src, Tensor dst);
  // Device and pinned allocations made so far (a steady-state decode step adds none).
  int64_t num_allocations() const { return num_allocations_; }
  // The first error since the last BeginForward, or OK.
  const Status& status() const { return status_; }

 private:
  // Bytes on the device and a pinned host staging copy, both only ever growing.
  struct StagedBuffer {
    void* device = nullptr;
    void* host = nullptr;
    size_t capacity = 0;
    size_t used = 0;
  };
  struct RopeFreqs {
    const RopeSpec* spec = nullptr;
    std::vector<float> inv_freq;  // host copy, to notice a changed spec
    std::unique_ptr<DeviceBuffer> device;
  };
  struct CachedPlan {
    int group_size, num_kv_heads;
    int32_t sliding_window;
    const cuda::AttentionWorkItem* items;
    int num_items;
    const cuda::AttentionSplitGroup* split_groups;
    int num_split_groups;
  };

  CudaBackend() = default;
  bool Failed() const { return !status_.ok(); }
  void Fail(Status s);
  void CheckLaunch(const char* what);
  // Appends bytes to a staged buffer and enqueues their upload; returns the device copy,
  // or nullptr after recording an error.
  const void* Stage(StagedBuffer& buf, const void* bytes, size_t size);
  Status Reserve(StagedBuffer& buf, size_t size);
  const float* RopeFreqsFor(const RopeSpec& spec);
  const CachedPlan* PlanFor(const AttentionSpec& spec);

  int device_ = 0;
  int num_sms_ = 0;
  std::string device_name_;
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<cuda::CublasLtGemm> gemm_;
  Status status_;
  int64_t num_allocations_ = 0;

  std::vector<std::unique_ptr<DeviceBuffer>> weights_;
  std::vector<RopeFreqs> rope_freqs_;

  KvCacheShape kv_shape_;
  std::unique_ptr<DeviceBuffer> kv_cache_;  // per layer: K [slots, width] then V
  std::unique_ptr<DeviceBuffer> partial_acc_, partial_ml_;
  int64_t max_partial_rows_ = 0;

  // This step's metadata on the device.
  const ForwardBatch* batch_ = nullptr;
  StagedBuffer meta_, plans_;
  const int32_t* d_input_ids_ = nullptr;
  const int32_t* d_positions_ = nullptr;
  const int32_t* d_out_kv_slots_ = nullptr;
  const int32_t* d_kv_slots_ = nullptr;
  const int32_t* d_logit_rows_ = nullptr;
  const BatchSequence* d_sequences_ = nullptr;
  std::vector<CachedPlan> cached_plans_;
  std::vector<uint8_t> host_scratch_;
};

}  // namespace sgl
