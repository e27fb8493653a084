// CudaBackend: the Backend on one NVIDIA GPU. Activations and the KV cache are BF16;
// weights are converted to BF16 at load (from F32, F16, BF16 or any GGUF quantized type,
// dequantized on the host), while norm weights and biases ([1, n] vectors) stay float32.
// GEMMs run through cuBLASLt, attention through the paged kernels of attention_kernel.h.
// All work is enqueued on one stream owned here; CopyToHost is the only op that waits.
// Ops cannot return errors, so the first failure is kept and returned by the next
// CopyToHost (or BeginForward), and ops after it do nothing. After warm-up, a decode step
// of an unchanged batch size allocates no memory (buffers only grow).
//
// CUDA graphs: a decode step (every sequence appends one token) of at most
// graph_max_batch() sequences is captured into a graph the third time its shape
// (tokens, sequences, logit rows) is seen with no allocation in between, and replayed
// from then on: BeginForward uploads the step's metadata to the same addresses, the ops
// only check that they are the captured ones (a hash of their arguments), and the graph
// runs at the end of the step (CopyToHost, or the next BeginForward). Any allocation
// drops the graphs (their buffers may have moved).
// Not thread-safe: one thread drives it (see Backend).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <cuda_runtime_api.h>

#include "backend/backend.h"
#include "backend/cuda/attention_kernel.h"
#include "backend/cuda/attention_plan.h"
#include "backend/cuda/cublaslt_gemm.h"
#include "backend/cuda/gemv_kernel.h"
#include "backend/cuda/gemv_stream_kernel.h"
#include "backend/cuda/kernels.h"

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
  std::optional<DeviceMemory> QueryDeviceMemory() const override;

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
  void SampleRows(const Tensor& x, Tensor out) override;
  // Decode-sized x: one skinny-matmul launch that writes act(gate) * up directly.
  void GatedMatMul(const Tensor& x, const Tensor& gate_w, const Tensor& up_w, Activation act, Tensor up,
                   Tensor out) override;
  Status CopyToHost(const Tensor& x, float* dst) override;
  Status CopyToHost(const Tensor& x, int32_t* dst) override;
  void Upload(const float* src, Tensor dst) override;
  void LayerNorm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor out) override;
  void Gelu(const Tensor& x, Tensor out) override;
  void BidirectionalAttention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionSpec& spec,
                              Tensor out) override;

  // Launches every op held back for fusion (for tools that time the ops they issue).
  void LaunchHeldBack() { FlushPending(kKeepsNothing); }
  // Copies host bytes into a tensor's device memory and waits (for tests and tools).
  Status CopyFromHost(const void* src, Tensor dst);
  // Largest decode batch run through CUDA graphs; 0 turns graphs off.
  void set_graph_max_batch(int n) { graph_max_batch_ = n; }
  int graph_max_batch() const { return graph_max_batch_; }
  int64_t num_graph_replays() const { return num_graph_replays_; }
  // Matmuls of at most this many activation rows take the skinny-matmul kernels
  // (gemv_kernel.h), larger ones cuBLASLt. Clamped to [0, cuda::kMaxGemvRows]; default
  // kDefaultGemvMaxRows.
  void set_gemv_max_rows(int n) { gemv_max_rows_ = std::clamp(n, 0, cuda::kMaxGemvRows); }
  // On the H200 (8B shapes, decode step with graphs) the streamed kernels win at one and
  // two rows (4.23 and 4.87 ms a step against cuBLASLt's 5.44 at two), the register ones
  // nowhere past that (9.15 vs 5.62 ms at 8).
  static constexpr int kDefaultGemvMaxRows = 2;
  // Norms and adds folded into streamed matmuls so far (see PendingMatMul).
  int64_t num_folded_ops() const { return num_folded_ops_; }
  // Whether the splits of a decode step's attention items may run as thread block clusters
  // that merge through shared memory (on by default; where the clusters do not all fit at
  // once, the splits merge through memory anyway), and how many launches did so far.
  void set_attention_clusters(bool on) { attention_clusters_ = on; }
  int64_t num_clustered_attention() const { return num_clustered_attention_; }
  // Whether decode steps may run attention on the tensor cores (on by default, or as
  // SGL_CUDA_TENSOR_CORE_DECODE=0|1 in the environment says, for A/B runs; off, the CUDA-core
  // decode kernel takes them), and how many launches did so far.
  void set_tensor_core_decode(bool on) { tensor_core_decode_ = on; }
  bool tensor_core_decode() const { return tensor_core_decode_; }
  int64_t num_tensor_core_decodes() const { return num_tensor_core_decodes_; }
  // Matmuls of 3 to 8 rows streamed onto the tensor cores so far (gemv_mma_stream_kernel.h).
  int64_t num_mma_streamed_matmuls() const { return num_mma_streamed_matmuls_; }
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
    const cuda::AttentionTileItem* tile_items;
    int num_tile_items;
    int32_t uniform_splits;  // AttentionPlan's
  };

  enum class StepMode { kEager, kCapture, kReplay };
  struct GraphKey {
    int64_t num_tokens, num_sequences, num_logit_rows;
    bool samples;  // the batch gives sample temperatures (SampleRows then reads them)
    bool late_masks;  // the graph ends before SampleRows, which waits for the host's masks
    auto operator<=>(const GraphKey&) const = default;
  };
  struct Graph {
    cudaGraphExec_t exec = nullptr;
    uint64_t ops_hash = 0;
  };

  CudaBackend() = default;
  // Chooses eager, capture or replay for the step just staged.
  void ChooseStepMode(const ForwardBatch& batch);
  // Where the pairs of `rope` take their positions from in this step.
  cuda::RopePositions RopePositionsFor(const RopeSpec& rope) const;
  // Enqueues the step's work so far: ends a capture and launches it, or launches the
  // replayed graph; later ops of the step launch eagerly.
  void FinishStep();
  // For a batch with late masks, at SampleRows: finishes the step so far, fills the masks
  // while the device runs it and uploads them. False on failure (recorded).
  bool StageLateMasks();
  // Finishes the step, copies x's bytes to dst and waits.
  Status CopyBytesToHost(const Tensor& x, void* dst);
  void DropGraphs();
  // Held-back ops an op may fold in (Launching's `keeps`); it launches the others first.
  enum Keeps : unsigned { kKeepsNothing = 0, kKeepsRopes = 1, kKeepsMatMul = 2, kKeepsNorm = 4 };
  // Folds an op's arguments into the step's hash; true when the op should launch
  // (false while replaying, where the graph does the work). Launches the held-back ops
  // first, but those in `keeps`.
  bool Launching(std::initializer_list<uint64_t> args, unsigned keeps = kKeepsNothing);
  void FlushPending(unsigned keeps);
  // RoPE of q and k is held back until StoreKv, which does both and the KV store in one
  // kernel; anything else launches them as they were.
  struct PendingRope {
    Tensor x;
    int head_dim, half;
    const float* freqs;
    bool neox;
    float attention_factor;
    cuda::RopePositions positions;
  };
  void FlushRopes();
  bool SameRope(const PendingRope& a, const PendingRope& b) const;
  // Decode layers of one or two rows (cuda_backend_fusion.cc): a streamed matmul of one
  // bf16 weight (o_proj, down_proj) is held back, and an add of its output into the
  // residual (AddRmsNorm, Add) becomes its epilogue; an RMS norm of such rows (RmsNorm, or
  // what is left of AddRmsNorm) is held back, and the streamed matmul that reads its output
  // computes it in its prologue. Every tensor ends up as the unfused ops leave it.
  struct PendingMatMul {
    Tensor x;
    LinearJob job;
    cuda::GemvFusion fusion;  // a norm already folded in
  };
  struct PendingNorm {
    Tensor x, weight;
    float eps;
    Tensor out;
  };
  // Whether the streamed kernel (gemv_stream_kernel.h) takes these jobs.
  bool StreamsRows(const Tensor& x, std::span<const LinearJob> jobs) const;
  // Launches them (or holds a single bf16 job back), with a held-back norm of x folded in.
  void StreamRows(const Tensor& x, std::span<const LinearJob> jobs);
  // The prologue for a matmul of x: the held-back norm whose output x is (taken), else
  // none (after launching any held-back norm).
  cuda::GemvFusion TakeNormOf(const Tensor& x);
  // Whether RMSNorm(x) * weight -> out can be held back for a matmul's prologue.
  bool NormFolds(const Tensor& x, const Tensor& weight, const Tensor& out) const;
  // Whether `sum` is the held-back matmul's output, rows to add into `residual`.
  bool AddFolds(const Tensor& residual, const Tensor& sum) const;
  // Launches the held-back matmul; with `residual`, adds its output into it too.
  void LaunchPendingMatMul(void* residual);
  void LaunchPendingNorm();
  static uint64_t TensorBits(const Tensor& t);
  bool Failed() const { return !status_.ok(); }
  void Fail(Status s);
  void CheckLaunch(const char* what);
  // Appends bytes to a staged buffer and enqueues their upload; returns the device copy,
  // or nullptr after recording an error.
  const void* Stage(StagedBuffer& buf, const void* bytes, size_t size);
  Status Reserve(StagedBuffer& buf, size_t size);
  const float* RopeFreqsFor(const RopeSpec& spec);
  const CachedPlan* PlanFor(const AttentionSpec& spec);
  // The kernel for a step of decodes only (a.decode_rows, cluster_splits, decode_mma,
  // pipelined): splits merged in clusters where they all fit, else the tensor cores, else
  // the CUDA-core kernel.
  void ChooseDecodeKernel(const CachedPlan& plan, const AttentionSpec& spec, cuda::AttentionLaunch& a);
  // How many clusters of `splits` decode attention blocks (items of `rows` q heads) run
  // at once here (DecodeAttentionClusters, asked once per shape); 0 with clusters off.
  int DecodeClustersAtOnce(int head_dim, int rows, int splits);
  // For a decode plan whose splits would merge through memory because their clusters do
  // not all fit at once: a plan with fewer splits (down to a third) whose clusters do, if any.
  void FitSplitsToClusters(const cuda::AttentionPlanOptions& o, cuda::AttentionPlan& plan);
  // Room for `bytes` more in plans_; growing it forgets what was staged there. False on failure.
  bool ReservePlans(size_t bytes);

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
  std::unique_ptr<DeviceBuffer> partial_acc_, partial_ml_, split_counters_;
  int64_t max_partial_rows_ = 0;

  // This step's metadata on the device.
  const ForwardBatch* batch_ = nullptr;
  StagedBuffer meta_, plans_;
  StagedBuffer edits_;  // the step's LogitEdits, alone so their address stays put for graphs
  StagedBuffer masks_;  // the step's token masks, likewise
  const int32_t* d_input_ids_ = nullptr;
  const int32_t* d_positions_ = nullptr;
  const RowSampling* d_sampling_ = nullptr;  // null when the batch has none
  const LogitEdit* d_logit_edits_ = nullptr;
  const uint32_t* d_token_masks_ = nullptr;
  // The batch's axis_positions (at most RopePositions::kMaxAxes of them), each [num_tokens].
  const int32_t* d_axis_positions_[cuda::RopePositions::kMaxAxes] = {};
  int num_axis_positions_ = 0;
  const int32_t* d_out_kv_slots_ = nullptr;
  const int32_t* d_kv_slots_ = nullptr;
  const int32_t* d_logit_rows_ = nullptr;
  const BatchSequence* d_sequences_ = nullptr;
  std::vector<CachedPlan> cached_plans_;
  // BidirectionalAttention's tensor-core tiles for this step (64 tokens of a sequence
  // each), staged in plans_ at its first call; cleared with the cached plans.
  const cuda::AttentionTileItem* bidirectional_tiles_ = nullptr;
  int num_bidirectional_tiles_ = 0;
  const cuda::AttentionTileItem* BidirectionalTiles();
  PendingRope pending_ropes_[2]{};
  int num_pending_ropes_ = 0;
  std::optional<PendingMatMul> pending_matmul_;
  std::optional<PendingNorm> pending_norm_;
  int64_t num_folded_ops_ = 0;
  bool attention_clusters_ = true;
  int64_t num_clustered_attention_ = 0;
  bool tensor_core_decode_ = TensorCoreDecodeByDefault();
  static bool TensorCoreDecodeByDefault();
  int64_t num_tensor_core_decodes_ = 0;
  int64_t num_mma_streamed_matmuls_ = 0;

  int graph_max_batch_ = 64;
  int gemv_max_rows_ = kDefaultGemvMaxRows;
  StepMode mode_ = StepMode::kEager;
  GraphKey step_key_{};
  uint64_t ops_hash_ = 0;
  std::map<GraphKey, Graph> graphs_;
  std::map<std::array<int, 3>, int> decode_clusters_;  // (head_dim, rows, splits) -> clusters at once
  int64_t graphs_epoch_ = -1;  // num_allocations_ the graphs were captured under
  std::optional<std::pair<GraphKey, int64_t>> last_decode_;  // (key, epoch) of the last decode step
  int64_t num_graph_replays_ = 0;
  std::vector<uint8_t> host_scratch_;
};

}  // namespace sgl
