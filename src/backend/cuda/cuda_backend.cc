// CudaBackend: device setup, memory, weights, the KV cache and the per-step metadata
// upload. The ops themselves are in cuda_backend_ops.cc.
#include "backend/cuda/cuda_backend.h"

#include <algorithm>
#include <cstring>

#include "backend/cpu/quant/quant_kernels.h"
#include "backend/cuda/attention_kernel.h"
#include "backend/cuda/cuda_status.h"
#include "backend/cuda/kernels.h"
#include "base/float16.h"

namespace sgl {
namespace {

class CudaBuffer final : public DeviceBuffer {
 public:
  CudaBuffer(void* data, size_t size) : data_(data), size_(size) {}
  ~CudaBuffer() override { cudaFree(data_); }
  void* data() const override { return data_; }
  size_t size() const override { return size_; }

 private:
  void* data_;
  size_t size_;
};

constexpr size_t kStageAlign = 16;
constexpr int64_t kConvertRows = 1024;  // rows converted per host -> device copy at load

size_t AlignUp(size_t n) { return (n + kStageAlign - 1) / kStageAlign * kStageAlign; }

bool SamePositions(const cuda::RopePositions& a, const cuda::RopePositions& b) {
  if (a.num_axes != b.num_axes) return false;
  for (int i = 0; i < a.num_axes; ++i)
    if (a.axis[i] != b.axis[i] || a.section_end[i] != b.section_end[i]) return false;
  return true;
}

}  // namespace

Result<std::unique_ptr<CudaBackend>> CudaBackend::Create(int device) {
  std::unique_ptr<CudaBackend> b(new CudaBackend());
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    cudaGetLastError();
    return Status(StatusCode::kUnsupported, "no CUDA device is visible" +
                                                (err != cudaSuccess ? std::string(": ") + cudaGetErrorString(err) : ""));
  }
  if (device < 0 || device >= count) return InvalidArgument("CUDA device {} does not exist ({} visible)", device, count);
  b->device_ = device;
  SGL_RETURN_IF_ERROR(cuda::FromCuda(cudaSetDevice(device), "cudaSetDevice"));
  cudaDeviceProp props{};
  SGL_RETURN_IF_ERROR(cuda::FromCuda(cudaGetDeviceProperties(&props, device), "cudaGetDeviceProperties"));
  b->num_sms_ = props.multiProcessorCount;
  b->device_name_ = props.name;
  SGL_RETURN_IF_ERROR(cuda::FromCuda(cudaStreamCreateWithFlags(&b->stream_, cudaStreamNonBlocking), "stream"));
  SGL_ASSIGN_OR_RETURN(b->gemm_, cuda::CublasLtGemm::Create());
  SGL_RETURN_IF_ERROR(cuda::FromCuda(cuda::PrepareAttentionKernels(), "attention kernels"));
  return b;
}

CudaBackend::~CudaBackend() {
  FinishStep();
  if (stream_ != nullptr) cudaStreamSynchronize(stream_);
  DropGraphs();
  for (StagedBuffer* buf : {&meta_, &plans_, &edits_, &masks_}) {
    if (buf->device != nullptr) cudaFree(buf->device);
    if (buf->host != nullptr) cudaFreeHost(buf->host);
  }
  gemm_.reset();
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

std::string CudaBackend::Name() const { return fmt::format("cuda ({}, {} SMs, bf16)", device_name_, num_sms_); }

void CudaBackend::Fail(Status s) {
  if (status_.ok() && !s.ok()) status_ = std::move(s);
}

void CudaBackend::CheckLaunch(const char* what) { Fail(cuda::FromCuda(cudaGetLastError(), what)); }

Result<std::unique_ptr<DeviceBuffer>> CudaBackend::Allocate(size_t bytes) {
  if (mode_ == StepMode::kReplay) Fail(Status(StatusCode::kInternal, "an allocation inside a replayed CUDA graph step"));
  void* p = nullptr;
  ++num_allocations_;
  const cudaError_t err = cudaMalloc(&p, std::max<size_t>(bytes, 256));
  if (err != cudaSuccess) {
    cudaGetLastError();
    return Status(StatusCode::kOutOfMemory, fmt::format("cannot allocate {} MiB on the GPU: {}", bytes >> 20,
                                                        cudaGetErrorString(err)));
  }
  return std::unique_ptr<DeviceBuffer>(std::make_unique<CudaBuffer>(p, bytes));
}

Status CudaBackend::CopyFromHost(const void* src, Tensor dst) {
  FinishStep();
  SGL_RETURN_IF_ERROR(cuda::FromCuda(cudaMemcpyAsync(dst.data, src, dst.NumBytes(), cudaMemcpyHostToDevice, stream_),
                                     "copy to device"));
  return cuda::FromCuda(cudaStreamSynchronize(stream_), "copy to device");
}

// [1, n] float vectors (norms, biases) stay float32; everything else becomes BF16, rows
// dequantized on the host a chunk at a time.
Result<Tensor> CudaBackend::PrepareWeight(const Tensor& host) {
  const bool keep_f32 = host.rows == 1 && host.dtype == DType::kF32;
  const DType target = keep_f32 ? DType::kF32 : DType::kBF16;
  Tensor dev{nullptr, target, host.rows, host.cols};
  SGL_ASSIGN_OR_RETURN(std::unique_ptr<DeviceBuffer> buf, Allocate(dev.NumBytes()));
  dev.data = buf->data();
  if (host.dtype == target) {
    SGL_RETURN_IF_ERROR(CopyFromHost(host.data, dev));
  } else {
    std::vector<float> row(host.cols);
    std::vector<uint16_t> chunk(static_cast<size_t>(std::min(kConvertRows, host.rows)) * host.cols);
    for (int64_t r0 = 0; r0 < host.rows; r0 += kConvertRows) {
      const int64_t n = std::min(kConvertRows, host.rows - r0);
      for (int64_t r = 0; r < n; ++r) {
        cpu::DequantizeRow(host.dtype, host.Rows(r0 + r, 1).data, row.data(), host.cols);
        for (int64_t i = 0; i < host.cols; ++i) chunk[r * host.cols + i] = F32ToBf16(row[i]);
      }
      SGL_RETURN_IF_ERROR(CopyFromHost(chunk.data(), dev.Rows(r0, n)));
    }
  }
  weights_.push_back(std::move(buf));
  return dev;
}

size_t CudaBackend::KvBytesPerSlot(const KvCacheShape& shape) const {
  return 2 * sizeof(uint16_t) * static_cast<size_t>(shape.num_layers) * shape.num_kv_heads * shape.head_dim;
}

std::optional<DeviceMemory> CudaBackend::QueryDeviceMemory() const {
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) return std::nullopt;
  return DeviceMemory{static_cast<int64_t>(free_bytes), static_cast<int64_t>(total_bytes)};
}

Status CudaBackend::CreateKvCache(const KvCacheShape& shape) {
  if (shape.head_dim <= 0 || shape.head_dim > cuda::kMaxAttentionHeadDim)
    return Unsupported("head_dim {} is not supported by the CUDA attention kernel (1..{})", shape.head_dim,
                       cuda::kMaxAttentionHeadDim);
  SGL_RETURN_IF_ERROR(cuda::FromCuda(cudaStreamSynchronize(stream_), "synchronize"));
  kv_cache_.reset();
  kv_shape_ = {};
  SGL_ASSIGN_OR_RETURN(kv_cache_, Allocate(KvBytesPerSlot(shape) * static_cast<size_t>(shape.num_slots)));
  // Split-K partials: at most a few blocks per SM ever run split (see PlanAttention).
  max_partial_rows_ = static_cast<int64_t>(4) * num_sms_ * cuda::kAttentionRowsPerBlock;
  SGL_ASSIGN_OR_RETURN(partial_acc_, Allocate(sizeof(float) * max_partial_rows_ * shape.head_dim));
  SGL_ASSIGN_OR_RETURN(partial_ml_, Allocate(sizeof(float) * 2 * max_partial_rows_));
  // One counter per (split group, KV head); there are fewer of those than partial rows.
  SGL_ASSIGN_OR_RETURN(split_counters_, Allocate(sizeof(int) * max_partial_rows_));
  SGL_RETURN_IF_ERROR(cuda::FromCuda(cudaMemset(split_counters_->data(), 0, sizeof(int) * max_partial_rows_), "counters"));
  kv_shape_ = shape;
  return Status::Ok();
}

Status CudaBackend::Reserve(StagedBuffer& buf, size_t size) {
  if (buf.used + size <= buf.capacity) return Status::Ok();
  // Growing: everything enqueued so far must finish before the old copies go.
  SGL_RETURN_IF_ERROR(cuda::FromCuda(cudaStreamSynchronize(stream_), "synchronize"));
  const size_t capacity = std::max(2 * buf.capacity, AlignUp(buf.used + size) + (64u << 10));
  if (buf.device != nullptr) cudaFree(buf.device);
  if (buf.host != nullptr) cudaFreeHost(buf.host);
  buf = {};
  ++num_allocations_;
  SGL_RETURN_IF_ERROR(cuda::FromCuda(cudaMalloc(&buf.device, capacity), "metadata buffer"));
  SGL_RETURN_IF_ERROR(cuda::FromCuda(cudaHostAlloc(&buf.host, capacity, cudaHostAllocDefault), "pinned buffer"));
  buf.capacity = capacity;
  return Status::Ok();
}

const void* CudaBackend::Stage(StagedBuffer& buf, const void* bytes, size_t size) {
  const size_t offset = buf.used;
  if (offset + size > buf.capacity) {
    Fail(Status(StatusCode::kInternal, "staging buffer overflow"));
    return nullptr;
  }
  if (size > 0) std::memcpy(static_cast<uint8_t*>(buf.host) + offset, bytes, size);
  buf.used = AlignUp(offset + size);
  uint8_t* dst = static_cast<uint8_t*>(buf.device) + offset;
  if (size > 0)
    Fail(cuda::FromCuda(cudaMemcpyAsync(dst, static_cast<uint8_t*>(buf.host) + offset, size, cudaMemcpyHostToDevice,
                                        stream_),
                        "metadata upload"));
  return dst;
}

Status CudaBackend::BeginForward(const ForwardBatch& batch) {
  // The driving thread (the scheduler's) may not be the one that created the backend.
  SGL_RETURN_IF_ERROR(cuda::FromCuda(cudaSetDevice(device_), "cudaSetDevice"));
  FinishStep();
  // The previous step's uploads read the pinned buffers about to be rewritten.
  SGL_RETURN_IF_ERROR(cuda::FromCuda(cudaStreamSynchronize(stream_), "previous step"));
  status_ = Status::Ok();
  // A batch without KV slots (a vision encoder's, on a backend of its own) needs no cache.
  if (!kv_cache_ && (!batch.kv_slots.empty() || !batch.out_kv_slots.empty()))
    return InvalidArgument("the KV cache has not been created");
  if (!batch.SlotsWithin(kv_shape_.num_slots))
    return InvalidArgument("KV slot outside the cache of {} slots", kv_shape_.num_slots);
  batch_ = &batch;
  cached_plans_.clear();
  bidirectional_tiles_ = nullptr;
  meta_.used = 0;
  plans_.used = 0;
  edits_.used = 0;
  masks_.used = 0;
  auto bytes = [](const auto& v) { return v.size() * sizeof(v[0]); };
  const size_t total = AlignUp(bytes(batch.input_ids)) + AlignUp(bytes(batch.positions)) +
                       AlignUp(bytes(batch.out_kv_slots)) + AlignUp(bytes(batch.kv_slots)) +
                       AlignUp(bytes(batch.logit_rows)) + AlignUp(bytes(batch.sequences)) +
                       batch.axis_positions.size() * AlignUp(bytes(batch.positions)) +
                       AlignUp(bytes(batch.sampling));
  SGL_RETURN_IF_ERROR(Reserve(meta_, total));
  SGL_RETURN_IF_ERROR(Reserve(edits_, bytes(batch.logit_edits)));
  SGL_RETURN_IF_ERROR(Reserve(masks_, sizeof(uint32_t) * batch.NumMaskWords()));
  d_input_ids_ = static_cast<const int32_t*>(Stage(meta_, batch.input_ids.data(), bytes(batch.input_ids)));
  d_positions_ = static_cast<const int32_t*>(Stage(meta_, batch.positions.data(), bytes(batch.positions)));
  d_out_kv_slots_ = static_cast<const int32_t*>(Stage(meta_, batch.out_kv_slots.data(), bytes(batch.out_kv_slots)));
  d_logit_rows_ = static_cast<const int32_t*>(Stage(meta_, batch.logit_rows.data(), bytes(batch.logit_rows)));
  d_sequences_ = static_cast<const BatchSequence*>(Stage(meta_, batch.sequences.data(), bytes(batch.sequences)));
  if (!batch.SamplingWithinBounds()) return InvalidArgument("the batch's sampling rows name edits or masks it lacks");
  d_sampling_ = batch.sampling.empty()
                    ? nullptr
                    : static_cast<const RowSampling*>(Stage(meta_, batch.sampling.data(), bytes(batch.sampling)));
  d_logit_edits_ = static_cast<const LogitEdit*>(Stage(edits_, batch.logit_edits.data(), bytes(batch.logit_edits)));
  d_token_masks_ = batch.late_token_masks ? nullptr  // staged by SampleRows, once filled
                                          : static_cast<const uint32_t*>(Stage(masks_, batch.token_masks.data(),
                                                                               bytes(batch.token_masks)));
  if (batch.axis_positions.size() > cuda::RopePositions::kMaxAxes)
    return InvalidArgument("{} position axes; the CUDA RoPE takes at most {}", batch.axis_positions.size(),
                           cuda::RopePositions::kMaxAxes);
  num_axis_positions_ = static_cast<int>(batch.axis_positions.size());
  for (int a = 0; a < num_axis_positions_; ++a) {
    if (batch.axis_positions[a].size() != batch.positions.size())
      return InvalidArgument("axis_positions[{}] has {} entries for {} tokens", a, batch.axis_positions[a].size(),
                             batch.positions.size());
    d_axis_positions_[a] =
        static_cast<const int32_t*>(Stage(meta_, batch.axis_positions[a].data(), bytes(batch.axis_positions[a])));
  }
  // kv_slots go last: its length changes every decode step, the other offsets do not.
  d_kv_slots_ = static_cast<const int32_t*>(Stage(meta_, batch.kv_slots.data(), bytes(batch.kv_slots)));
  if (!Failed()) ChooseStepMode(batch);
  return status_;
}

void CudaBackend::DropGraphs() {
  for (auto& [key, g] : graphs_) cudaGraphExecDestroy(g.exec);
  graphs_.clear();
}

void CudaBackend::ChooseStepMode(const ForwardBatch& batch) {
  mode_ = StepMode::kEager;
  ops_hash_ = 0;
  bool decode = graph_max_batch_ > 0 && !batch.sequences.empty() &&
                static_cast<int64_t>(batch.sequences.size()) <= graph_max_batch_;
  for (const BatchSequence& seq : batch.sequences) decode = decode && seq.num_new_tokens == 1;
  if (!decode) return;
  step_key_ = {batch.num_tokens(), static_cast<int64_t>(batch.sequences.size()),
               static_cast<int64_t>(batch.logit_rows.size()), !batch.sampling.empty(),
               batch.late_token_masks != nullptr};
  if (graphs_epoch_ != num_allocations_) {
    DropGraphs();
    graphs_epoch_ = num_allocations_;
  }
  const std::pair<GraphKey, int64_t> seen{step_key_, num_allocations_};
  if (graphs_.count(step_key_) > 0) {
    mode_ = StepMode::kReplay;
  } else if (last_decode_ == seen) {
    const cudaError_t err = cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal);
    if (err == cudaSuccess) mode_ = StepMode::kCapture;
    cudaGetLastError();
  }
  last_decode_ = seen;
}

void CudaBackend::FinishStep() {
  FlushPending(kKeepsNothing);
  const StepMode mode = mode_;
  mode_ = StepMode::kEager;
  if (mode == StepMode::kCapture) {
    cudaGraph_t graph = nullptr;
    const cudaError_t end = cudaStreamEndCapture(stream_, &graph);
    Graph g{nullptr, ops_hash_};
    if (end == cudaSuccess && !Failed()) Fail(cuda::FromCuda(cudaGraphInstantiate(&g.exec, graph, 0), "graph"));
    else Fail(cuda::FromCuda(end, "graph capture"));
    if (graph != nullptr) cudaGraphDestroy(graph);
    if (Failed()) return;
    graphs_[step_key_] = g;
  }
  if (mode == StepMode::kCapture || mode == StepMode::kReplay) {
    auto it = graphs_.find(step_key_);
    if (it == graphs_.end()) return;
    if (mode == StepMode::kReplay && it->second.ops_hash != ops_hash_) {
      Fail(Status(StatusCode::kInternal, "CUDA graph replay: this step's ops differ from the captured ones"));
      cudaGraphExecDestroy(it->second.exec);
      graphs_.erase(it);
      return;
    }
    if (mode == StepMode::kReplay) ++num_graph_replays_;
    Fail(cuda::FromCuda(cudaGraphLaunch(it->second.exec, stream_), "graph launch"));
  }
}

uint64_t CudaBackend::TensorBits(const Tensor& t) {
  return reinterpret_cast<uintptr_t>(t.data) ^ (static_cast<uint64_t>(t.dtype) << 56) ^
         (static_cast<uint64_t>(t.rows) << 32) ^ static_cast<uint64_t>(t.cols) * 0x9E3779B97F4A7C15ull;
}

bool CudaBackend::Launching(std::initializer_list<uint64_t> args, unsigned keeps) {
  for (uint64_t a : args) ops_hash_ = (ops_hash_ ^ a) * 0x100000001B3ull;  // FNV-1a over words
  FlushPending(keeps);
  return mode_ != StepMode::kReplay;
}

void CudaBackend::FlushPending(unsigned keeps) {
  if ((keeps & kKeepsRopes) == 0) FlushRopes();
  if ((keeps & kKeepsMatMul) == 0 && pending_matmul_) LaunchPendingMatMul(nullptr);
  if ((keeps & kKeepsNorm) == 0 && pending_norm_) LaunchPendingNorm();
}

void CudaBackend::FlushRopes() {
  for (int i = 0; i < num_pending_ropes_; ++i) {
    const PendingRope& r = pending_ropes_[i];
    cuda::LaunchRope(static_cast<cuda::bf16_bits*>(r.x.data), r.x.rows, static_cast<int>(r.x.cols / r.head_dim),
                     r.head_dim, r.positions, r.freqs, r.half, r.neox, r.attention_factor, stream_);
    CheckLaunch("Rope");
  }
  num_pending_ropes_ = 0;
}

bool CudaBackend::SameRope(const PendingRope& a, const PendingRope& b) const {
  return a.head_dim == b.head_dim && a.half == b.half && a.freqs == b.freqs && a.neox == b.neox &&
         a.attention_factor == b.attention_factor && a.x.rows == b.x.rows && SamePositions(a.positions, b.positions);
}

Status CudaBackend::CopyBytesToHost(const Tensor& x, void* dst) {
  FinishStep();
  if (Failed()) return status_;
  Fail(cuda::FromCuda(cudaMemcpyAsync(dst, x.data, x.NumBytes(), cudaMemcpyDeviceToHost, stream_), "copy to host"));
  Fail(cuda::FromCuda(cudaStreamSynchronize(stream_), "step"));
  return status_;
}

Status CudaBackend::CopyToHost(const Tensor& x, int32_t* dst) {
  if (x.dtype != DType::kI32) return InvalidArgument("CopyToHost(int32) of a {} tensor", sgl::Name(x.dtype));
  return CopyBytesToHost(x, dst);
}

Status CudaBackend::CopyToHost(const Tensor& x, float* dst) {
  if (x.dtype == DType::kF32) return CopyBytesToHost(x, dst);
  if (x.dtype != DType::kBF16) return InvalidArgument("CopyToHost of a {} tensor", sgl::Name(x.dtype));
  host_scratch_.resize(x.NumBytes());
  SGL_RETURN_IF_ERROR(CopyBytesToHost(x, host_scratch_.data()));
  const uint16_t* src = reinterpret_cast<const uint16_t*>(host_scratch_.data());
  for (int64_t i = 0; i < x.rows * x.cols; ++i) dst[i] = Bf16ToF32(src[i]);
  return Status::Ok();
}

}  // namespace sgl
