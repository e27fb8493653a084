// CudaBackend's ops: argument checks on the host, then kernel launches on the stream.
#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "backend/cuda/attention_kernel.h"
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_status.h"
#include "backend/cuda/gemv_kernel.h"
#include "backend/cuda/gemv_mma_stream_kernel.h"
#include "backend/cuda/kernels.h"
#include "backend/late_token_masks.h"
#include "base/float16.h"

namespace sgl {
namespace {

using cuda::bf16_bits;

// Sequences with this many new tokens or more (prefill chunks) take the tensor-core kernel.
constexpr int32_t kTensorCoreMinTokens = 16;

bf16_bits* Bf16(const Tensor& t) { return static_cast<bf16_bits*>(t.data); }

Status ExpectDType(const Tensor& t, DType want, const char* what) {
  if (t.dtype == want) return Status::Ok();
  return InvalidArgument("CUDA {}: expected a {} tensor, got {}", what, sgl::Name(want), sgl::Name(t.dtype));
}

}  // namespace

void CudaBackend::Embed(const Tensor& table, int64_t first_id, float scale, Tensor out) {
  if (Failed()) return;
  Fail(ExpectDType(table, DType::kBF16, "Embed"));
  if (Failed() || !Launching({1, TensorBits(table), static_cast<uint64_t>(first_id), std::bit_cast<uint32_t>(scale),
                              TensorBits(out)}))
    return;
  cuda::LaunchEmbed(Bf16(table), table.rows, table.cols, first_id, d_input_ids_, batch_->num_tokens(), scale,
                    Bf16(out), stream_);
  CheckLaunch("Embed");
}

void CudaBackend::RmsNorm(const Tensor& x, const Tensor& weight, float eps, Tensor out) {
  if (Failed()) return;
  Fail(ExpectDType(weight, DType::kF32, "RmsNorm weight"));
  Fail(ExpectDType(x, DType::kBF16, "RmsNorm"));
  if (Failed() || !Launching({2, TensorBits(x), TensorBits(weight), std::bit_cast<uint32_t>(eps), TensorBits(out)})) return;
  if (NormFolds(x, weight, out)) {  // the matmul of `out` that follows computes it
    pending_norm_ = PendingNorm{x, weight, eps, out};
    return;
  }
  cuda::LaunchRmsNorm(Bf16(x), weight.As<float>(), x.rows * (x.cols / weight.cols), weight.cols, eps, Bf16(out),
                      stream_);
  CheckLaunch("RmsNorm");
}

void CudaBackend::AddRmsNorm(Tensor residual, const Tensor& x, const Tensor& weight, float eps, Tensor out) {
  if (Failed()) return;
  Fail(ExpectDType(weight, DType::kF32, "AddRmsNorm weight"));
  if (Failed() || !Launching({3, TensorBits(residual), TensorBits(x), TensorBits(weight), std::bit_cast<uint32_t>(eps),
                               TensorBits(out)},
                              kKeepsMatMul))
    return;
  if (AddFolds(residual, x) && NormFolds(residual, weight, out) && out.data != x.data) {
    LaunchPendingMatMul(residual.data);  // the add as the matmul's epilogue, the norm in the next one's prologue
    pending_norm_ = PendingNorm{residual, weight, eps, out};
    return;
  }
  FlushPending(kKeepsNothing);
  cuda::LaunchAddRmsNorm(Bf16(residual), Bf16(x), weight.As<float>(), residual.rows, residual.cols, eps, Bf16(out),
                         stream_);
  CheckLaunch("AddRmsNorm");
}

void CudaBackend::MatMuls(const Tensor& x, std::span<const LinearJob> jobs) {
  if (Failed()) return;
  Fail(ExpectDType(x, DType::kBF16, "MatMul input"));
  for (const LinearJob& job : jobs) {
    Fail(ExpectDType(job.w, DType::kBF16, "MatMul weight"));
    if (job.out.dtype != DType::kF32) Fail(ExpectDType(job.out, DType::kBF16, "MatMul output"));
    if (job.w.cols != x.cols || job.out.cols != job.w.rows || job.out.rows != x.rows)
      Fail(InvalidArgument("CUDA MatMul: shapes [{}, {}] x [{}, {}]^T -> [{}, {}] do not fit", x.rows, x.cols,
                           job.w.rows, job.w.cols, job.out.rows, job.out.cols));
  }
  bool launch = Launching({4, TensorBits(x), jobs.size()}, kKeepsNorm);
  for (const LinearJob& job : jobs)
    launch = Launching({TensorBits(job.w), TensorBits(job.bias), TensorBits(job.out)}, kKeepsNorm);
  if (Failed() || !launch) return;
  if (StreamsRows(x, jobs)) {
    StreamRows(x, jobs);
    return;
  }
  FlushPending(kKeepsNothing);
  auto gemv_jobs = [&](size_t first, int count, cuda::GemvJob* out) {
    for (int j = 0; j < count; ++j) {
      const LinearJob& job = jobs[first + j];
      out[j] = {job.w.data, job.out.data, job.bias.empty() ? nullptr : job.bias.As<float>(), job.w.rows,
                job.out.dtype == DType::kF32};
    }
  };
  // 3 to 8 rows: weights streamed onto the tensor cores, all jobs in one launch.
  if (jobs.size() <= static_cast<size_t>(cuda::kMaxGemvJobs)) {
    cuda::GemvJob gemv[cuda::kMaxGemvJobs];
    const int count = static_cast<int>(jobs.size());
    gemv_jobs(0, count, gemv);
    if (cuda::MmaStreamedGemvSupports(x.data, x.rows, x.cols, gemv, count)) {
      ++num_mma_streamed_matmuls_;
      Fail(cuda::FromCuda(cuda::LaunchMmaStreamedGemv(x.data, x.rows, x.cols, gemv, count, stream_), "mma gemv"));
      return;
    }
  }
  // Decode-sized batches: the weights in as few skinny-matmul launches as possible.
  if (x.rows <= gemv_max_rows_) {
    cuda::GemvJob gemv[cuda::kMaxGemvJobs];
    bool supported = true;
    for (size_t first = 0; first < jobs.size(); first += cuda::kMaxGemvJobs) {
      const int count = static_cast<int>(std::min<size_t>(cuda::kMaxGemvJobs, jobs.size() - first));
      gemv_jobs(first, count, gemv);
      supported = supported && cuda::GemvSupports(x.data, x.rows, x.cols, gemv, count);
    }
    if (supported) {
      for (size_t first = 0; first < jobs.size(); first += cuda::kMaxGemvJobs) {
        const int count = static_cast<int>(std::min<size_t>(cuda::kMaxGemvJobs, jobs.size() - first));
        gemv_jobs(first, count, gemv);
        Fail(cuda::FromCuda(cuda::LaunchGemv(x.data, x.rows, x.cols, gemv, count, stream_), "gemv"));
      }
      return;
    }
  }
  for (const LinearJob& job : jobs) {
    const bool out_f32 = job.out.dtype == DType::kF32;
    Fail(gemm_->Run(x.data, job.w.data, job.out.data, out_f32, x.rows, job.w.rows, x.cols, stream_));
    if (!job.bias.empty()) {
      cuda::LaunchAddBias(job.out.data, out_f32, job.bias.As<float>(), job.out.rows, job.out.cols, stream_);
      CheckLaunch("bias");
    }
    if (Failed()) return;
  }
}

const float* CudaBackend::RopeFreqsFor(const RopeSpec& spec) {
  RopeFreqs* entry = nullptr;
  for (RopeFreqs& f : rope_freqs_)
    if (f.spec == &spec) entry = &f;
  if (entry != nullptr && entry->inv_freq == spec.inv_freq) return static_cast<const float*>(entry->device->data());
  if (entry == nullptr) entry = &rope_freqs_.emplace_back();
  entry->spec = &spec;
  entry->inv_freq = spec.inv_freq;
  const size_t bytes = spec.inv_freq.size() * sizeof(float);
  if (!entry->device || entry->device->size() < bytes) {
    auto buf = Allocate(bytes);
    if (!buf.ok()) {
      Fail(buf.status());
      return nullptr;
    }
    entry->device = std::move(buf).value();
  }
  // The previous contents may still be read by enqueued kernels.
  Fail(cuda::FromCuda(cudaStreamSynchronize(stream_), "rope"));
  Fail(cuda::FromCuda(cudaMemcpy(entry->device->data(), spec.inv_freq.data(), bytes, cudaMemcpyHostToDevice), "rope"));
  return static_cast<const float*>(entry->device->data());
}

void CudaBackend::Upload(const float* src, Tensor dst) {
  if (Failed()) return;
  if (dst.dtype != DType::kBF16) Fail(InvalidArgument("CUDA Upload into a {} tensor", sgl::Name(dst.dtype)));
  // Host data changes from step to step, so a captured graph could not replay it.
  if (mode_ != StepMode::kEager) Fail(Status(StatusCode::kInternal, "CUDA Upload inside a CUDA graph step"));
  if (Failed() || !Launching({12, TensorBits(dst)})) return;
  const int64_t n = dst.rows * dst.cols;
  host_scratch_.resize(static_cast<size_t>(n) * sizeof(uint16_t));
  auto* bits = reinterpret_cast<uint16_t*>(host_scratch_.data());
  for (int64_t i = 0; i < n; ++i) bits[i] = F32ToBf16(src[i]);
  // From pageable memory: the call returns once the source has been staged, so the
  // scratch can be reused at once.
  Fail(cuda::FromCuda(cudaMemcpyAsync(dst.data, bits, n * sizeof(uint16_t), cudaMemcpyHostToDevice, stream_), "Upload"));
}

void CudaBackend::LayerNorm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor out) {
  if (Failed() || !Launching({13, TensorBits(x), TensorBits(weight), TensorBits(bias), std::bit_cast<uint32_t>(eps),
                              TensorBits(out)}))
    return;
  cuda::LaunchLayerNorm(Bf16(x), weight.As<float>(), bias.empty() ? nullptr : bias.As<float>(), x.rows, x.cols, eps,
                        Bf16(out), stream_);
  CheckLaunch("LayerNorm");
}

void CudaBackend::Gelu(const Tensor& x, Tensor out) {
  if (Failed() || !Launching({14, TensorBits(x), TensorBits(out)})) return;
  cuda::LaunchGeluErf(Bf16(x), x.rows * x.cols, Bf16(out), stream_);
  CheckLaunch("Gelu");
}

void CudaBackend::BidirectionalAttention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionSpec& spec,
                                         Tensor out) {
  if (Failed()) return;
  if (spec.num_kv_heads <= 0 || spec.num_q_heads % spec.num_kv_heads != 0 || spec.head_dim <= 0 ||
      spec.head_dim > 256 || spec.sliding_window != 0 || spec.logit_softcap != 0 ||
      q.cols != int64_t{spec.num_q_heads} * spec.head_dim || k.cols != int64_t{spec.num_kv_heads} * spec.head_dim ||
      v.cols != k.cols || out.cols != q.cols || k.rows != q.rows || v.rows != q.rows || out.rows != q.rows) {
    Fail(InvalidArgument("CUDA BidirectionalAttention: {} q / {} kv heads of {} over tensors of {} / {} columns",
                         spec.num_q_heads, spec.num_kv_heads, spec.head_dim, q.cols, k.cols));
    return;
  }
  if (!Launching({15, TensorBits(q), TensorBits(k), TensorBits(v), TensorBits(out),
                  static_cast<uint64_t>(spec.num_q_heads), static_cast<uint64_t>(spec.num_kv_heads),
                  std::bit_cast<uint32_t>(spec.scale)}))
    return;
  if (cuda::TensorCoreAttentionSupports(spec.head_dim)) {
    const cuda::AttentionTileItem* tiles = BidirectionalTiles();
    if (tiles == nullptr) return;
    cuda::AttentionLaunch a;
    a.sequences = d_sequences_;
    a.tile_items = tiles;
    a.num_tile_items = num_bidirectional_tiles_;
    a.q = Bf16(q);
    a.out = Bf16(out);
    a.k_cache = Bf16(k);
    a.v_cache = Bf16(v);
    a.num_q_heads = spec.num_q_heads;
    a.num_kv_heads = spec.num_kv_heads;
    a.head_dim = spec.head_dim;
    a.scale = spec.scale;
    a.bidirectional = true;
    if (a.num_tile_items > 0) Fail(cuda::FromCuda(cuda::LaunchTensorCoreAttention(a, stream_), "BidirectionalAttention"));
    return;
  }
  cuda::LaunchBidirectionalAttention(Bf16(q), Bf16(k), Bf16(v), Bf16(out), d_sequences_,
                                     static_cast<int>(batch_->sequences.size()), q.rows, spec.num_q_heads,
                                     spec.num_kv_heads, spec.head_dim, spec.scale, stream_);
  CheckLaunch("BidirectionalAttention");
}

const cuda::AttentionTileItem* CudaBackend::BidirectionalTiles() {
  if (bidirectional_tiles_ != nullptr) return bidirectional_tiles_;
  std::vector<cuda::AttentionTileItem> tiles;
  for (size_t s = 0; s < batch_->sequences.size(); ++s) {
    const int32_t n = batch_->sequences[s].num_new_tokens;
    for (int32_t t = 0; t < n; t += cuda::kAttentionTensorCoreRows)
      tiles.push_back({static_cast<int32_t>(s), t, std::min(cuda::kAttentionTensorCoreRows, n - t)});
  }
  const size_t bytes = tiles.size() * sizeof(tiles[0]);
  if (!ReservePlans(bytes + 16)) return nullptr;
  bidirectional_tiles_ = static_cast<const cuda::AttentionTileItem*>(Stage(plans_, tiles.data(), bytes));
  num_bidirectional_tiles_ = static_cast<int>(tiles.size());
  return Failed() ? nullptr : bidirectional_tiles_;
}

cuda::RopePositions CudaBackend::RopePositionsFor(const RopeSpec& rope) const {
  cuda::RopePositions p;
  p.axis[0] = d_positions_;
  if (rope.axis_sections.empty()) return p;
  p.num_axes = static_cast<int>(rope.axis_sections.size());
  int end = 0;
  for (int a = 0; a < p.num_axes; ++a) {
    end += rope.axis_sections[a];
    p.section_end[a] = end;
    // A batch without this axis uses the token positions (text-only M-RoPE).
    p.axis[a] = a < num_axis_positions_ ? d_axis_positions_[a] : d_positions_;
  }
  return p;
}

void CudaBackend::Rope(Tensor x, int head_dim, const RopeSpec& rope) {
  if (Failed()) return;
  const int half = static_cast<int>(rope.inv_freq.size());
  if (2 * half > head_dim) Fail(InvalidArgument("CUDA Rope: {} frequencies for head_dim {}", half, head_dim));
  int sections = 0;
  for (int n : rope.axis_sections) sections += n;
  if (rope.axis_sections.size() > cuda::RopePositions::kMaxAxes || (!rope.axis_sections.empty() && sections != half))
    Fail(InvalidArgument("CUDA Rope: axis sections of {} frequencies in {} axes for {} frequencies", sections,
                         rope.axis_sections.size(), half));
  const float* freqs = Failed() ? nullptr : RopeFreqsFor(rope);
  if (Failed() || half == 0) return;
  if (!Launching({5, TensorBits(x), static_cast<uint64_t>(head_dim), reinterpret_cast<uintptr_t>(freqs),
                  static_cast<uint64_t>(rope.neox), std::bit_cast<uint32_t>(rope.attention_factor),
                  static_cast<uint64_t>(rope.axis_sections.size())},
                 kKeepsRopes))
    return;
  if (num_pending_ropes_ == 2) FlushRopes();
  pending_ropes_[num_pending_ropes_++] = {x, head_dim, half, freqs, rope.neox, rope.attention_factor,
                                          RopePositionsFor(rope)};
}

void CudaBackend::StoreKv(int layer, const Tensor& k, const Tensor& v) {
  if (Failed()) return;
  const int64_t width = static_cast<int64_t>(kv_shape_.num_kv_heads) * kv_shape_.head_dim;
  if (layer < 0 || layer >= kv_shape_.num_layers || k.cols != width || v.cols != width)
    Fail(InvalidArgument("CUDA StoreKv: layer {} rows of {} for a cache of {} layers x {}", layer, k.cols,
                         kv_shape_.num_layers, width));
  if (Failed() || !Launching({6, static_cast<uint64_t>(layer), TensorBits(k), TensorBits(v)}, kKeepsRopes))
    return;
  bf16_bits* base = static_cast<bf16_bits*>(kv_cache_->data()) + 2 * layer * kv_shape_.num_slots * width;
  // Rope(q), Rope(k), StoreKv(k, v) as the layers call them: one kernel.
  const PendingRope* rope_k = num_pending_ropes_ > 0 ? &pending_ropes_[num_pending_ropes_ - 1] : nullptr;
  if (rope_k != nullptr && rope_k->x.data == k.data && rope_k->x.rows == k.rows && rope_k->head_dim == kv_shape_.head_dim &&
      rope_k->half <= 128) {
    const PendingRope* rope_q = num_pending_ropes_ == 2 && SameRope(pending_ropes_[0], *rope_k) ? &pending_ropes_[0] : nullptr;
    if (num_pending_ropes_ == 2 && rope_q == nullptr) {  // an unrelated RoPE first, on its own
      num_pending_ropes_ = 1;
      FlushRopes();
      pending_ropes_[0] = *rope_k;
      rope_k = &pending_ropes_[0];
    }
    cuda::LaunchRopeStoreKv(rope_q ? Bf16(rope_q->x) : nullptr,
                            rope_q ? static_cast<int>(rope_q->x.cols / rope_q->head_dim) : 0, Bf16(k), Bf16(v),
                            kv_shape_.num_kv_heads, k.rows, rope_k->head_dim, rope_k->positions, rope_k->freqs, rope_k->half,
                            rope_k->neox, rope_k->attention_factor, d_out_kv_slots_, base,
                            base + kv_shape_.num_slots * width, stream_);
    num_pending_ropes_ = 0;
    CheckLaunch("RopeStoreKv");
    return;
  }
  FlushRopes();
  cuda::LaunchStoreKv(Bf16(k), Bf16(v), d_out_kv_slots_, k.rows, width, base, base + kv_shape_.num_slots * width,
                      stream_);
  CheckLaunch("StoreKv");
}

bool CudaBackend::ReservePlans(size_t bytes) {
  if (plans_.used + bytes <= plans_.capacity) return true;
  // Growing replaces the buffer that the cached plans and the bidirectional tiles live in.
  cached_plans_.clear();
  bidirectional_tiles_ = nullptr;
  Fail(Reserve(plans_, bytes));
  return !Failed();
}

const CudaBackend::CachedPlan* CudaBackend::PlanFor(const AttentionSpec& spec) {
  const int group = spec.num_q_heads / spec.num_kv_heads;
  for (const CachedPlan& p : cached_plans_)
    if (p.group_size == group && p.num_kv_heads == spec.num_kv_heads && p.sliding_window == spec.sliding_window)
      return &p;
  cuda::AttentionPlanOptions o;
  o.group_size = group;
  o.num_kv_heads = spec.num_kv_heads;
  o.sliding_window = spec.sliding_window;
  o.target_blocks = 2 * num_sms_;
  o.max_partial_rows = max_partial_rows_;
  // Decode plans depend on the batch's shape only: a replayed graph keeps the plan it was
  // captured with, and graphs on or off compute exactly the same numbers.
  o.stable_decode_splits = true;
  o.min_tensor_core_tokens = cuda::TensorCoreAttentionSupports(kv_shape_.head_dim) ? kTensorCoreMinTokens : 0;
  cuda::AttentionPlan plan = cuda::PlanAttention(*batch_, o);
  FitSplitsToClusters(o, plan);
  const size_t item_bytes = plan.items.size() * sizeof(plan.items[0]);
  const size_t group_bytes = plan.split_groups.size() * sizeof(plan.split_groups[0]);
  const size_t tile_bytes = plan.tile_items.size() * sizeof(plan.tile_items[0]);
  if (!ReservePlans(item_bytes + group_bytes + tile_bytes + 48)) return nullptr;
  CachedPlan cached{group,   spec.num_kv_heads, spec.sliding_window, nullptr, static_cast<int>(plan.items.size()),
                    nullptr, static_cast<int>(plan.split_groups.size()), nullptr,
                    static_cast<int>(plan.tile_items.size()), plan.uniform_splits};
  cached.items = static_cast<const cuda::AttentionWorkItem*>(Stage(plans_, plan.items.data(), item_bytes));
  cached.split_groups = static_cast<const cuda::AttentionSplitGroup*>(Stage(plans_, plan.split_groups.data(), group_bytes));
  cached.tile_items = static_cast<const cuda::AttentionTileItem*>(Stage(plans_, plan.tile_items.data(), tile_bytes));
  if (Failed()) return nullptr;
  return &cached_plans_.emplace_back(cached);
}

int CudaBackend::DecodeClustersAtOnce(int head_dim, int rows, int splits) {
  if (!attention_clusters_ || splits < 2) return 0;
  const std::array<int, 3> key{head_dim, rows, splits};
  auto it = decode_clusters_.find(key);
  if (it == decode_clusters_.end())
    it = decode_clusters_.emplace(key, cuda::DecodeAttentionClusters(head_dim, rows, splits)).first;
  return it->second;
}

void CudaBackend::FitSplitsToClusters(const cuda::AttentionPlanOptions& o, cuda::AttentionPlan& plan) {
  const int splits = plan.uniform_splits;
  if (splits < 2 || !cuda::DecodeAttentionSupports(kv_shape_.head_dim, o.group_size)) return;
  const int64_t clusters = static_cast<int64_t>(plan.items.size()) / splits * o.num_kv_heads;
  if (DecodeClustersAtOnce(kv_shape_.head_dim, o.group_size, splits) >= clusters) return;
  for (int s = splits - 1; 3 * s >= splits; --s) {
    if (DecodeClustersAtOnce(kv_shape_.head_dim, o.group_size, s) < clusters) continue;
    cuda::AttentionPlanOptions fewer = o;
    fewer.max_splits = s;
    plan = cuda::PlanAttention(*batch_, fewer);
    return;
  }
}

bool CudaBackend::TensorCoreDecodeByDefault() {
  const char* v = std::getenv("SGL_CUDA_TENSOR_CORE_DECODE");
  return v == nullptr || std::strcmp(v, "0") != 0;
}

void CudaBackend::ChooseDecodeKernel(const CachedPlan& plan, const AttentionSpec& spec, cuda::AttentionLaunch& a) {
  const int group = spec.num_q_heads / spec.num_kv_heads;
  const int splits = plan.uniform_splits;
  if (cuda::DecodeAttentionSupports(spec.head_dim, group)) {
    a.decode_rows = group;
    if (splits > 1 &&
        DecodeClustersAtOnce(spec.head_dim, group, splits) >= int64_t{plan.num_items} / splits * spec.num_kv_heads) {
      a.cluster_splits = splits;  // few sequences (8B shapes on the H200: batches 1 to 4)
      return;
    }
  }
  // The tensor cores take the rest (bench_cuda_decode, H200, 8B, 1,500 keys, same call:
  // batch 16 7.18 -> 6.41 ms a step, 64 11.28 -> 8.88, 256 30.98 -> 21.27; batch 1 in
  // clusters 4.29, on the tensor cores 4.35).
  if (tensor_core_decode_ && cuda::DecodeMmaAttentionSupports(spec.head_dim, group)) {
    a.decode_mma = true;
    ++num_tensor_core_decodes_;
    return;
  }
  // Other head sizes: keys streamed through shared memory when nothing is split (batch 64
  // 12.26 -> 11.31 ms a step, 256 34.65 -> 32.53; split, at batch 1: 4.31 -> 4.53).
  a.pipelined =
      a.decode_rows > 0 && plan.num_split_groups == 0 && cuda::DecodeAttentionPipelines(spec.head_dim, group);
}

void CudaBackend::Attention(int layer, const Tensor& q, const AttentionSpec& spec, Tensor out) {
  if (Failed()) return;
  if (layer < 0 || layer >= kv_shape_.num_layers || spec.head_dim != kv_shape_.head_dim ||
      spec.num_kv_heads != kv_shape_.num_kv_heads || spec.num_kv_heads <= 0 ||
      spec.num_q_heads % spec.num_kv_heads != 0)
    Fail(InvalidArgument("CUDA Attention: layer {} with {} q / {} kv heads of {} does not fit the KV cache", layer,
                         spec.num_q_heads, spec.num_kv_heads, spec.head_dim));
  if (Failed()) return;
  const CachedPlan* plan = PlanFor(spec);  // uploaded in replayed steps too: the graph reads it
  if (plan == nullptr) return;
  if (!Launching({7, static_cast<uint64_t>(layer), TensorBits(q), TensorBits(out), static_cast<uint64_t>(spec.num_q_heads),
                  static_cast<uint64_t>(spec.num_kv_heads), static_cast<uint64_t>(spec.head_dim),
                  std::bit_cast<uint32_t>(spec.scale), static_cast<uint64_t>(spec.sliding_window),
                  std::bit_cast<uint32_t>(spec.logit_softcap), reinterpret_cast<uintptr_t>(plan->items),
                  static_cast<uint64_t>(plan->num_items), static_cast<uint64_t>(plan->num_split_groups),
                  static_cast<uint64_t>(plan->num_tile_items)}))
    return;
  const int64_t width = static_cast<int64_t>(kv_shape_.num_kv_heads) * kv_shape_.head_dim;
  const bf16_bits* base = static_cast<const bf16_bits*>(kv_cache_->data()) + 2 * layer * kv_shape_.num_slots * width;
  cuda::AttentionLaunch a;
  a.sequences = d_sequences_;
  a.kv_slots = d_kv_slots_;
  a.items = plan->items;
  a.num_items = plan->num_items;
  a.split_groups = plan->split_groups;
  a.num_split_groups = plan->num_split_groups;
  a.tile_items = plan->tile_items;
  a.num_tile_items = plan->num_tile_items;
  a.q = Bf16(q);
  a.out = Bf16(out);
  a.k_cache = base;
  a.v_cache = base + kv_shape_.num_slots * width;
  a.partial_acc = static_cast<float*>(partial_acc_->data());
  a.partial_ml = static_cast<float*>(partial_ml_->data());
  a.split_counters = static_cast<int*>(split_counters_->data());
  a.num_q_heads = spec.num_q_heads;
  a.num_kv_heads = spec.num_kv_heads;
  a.head_dim = spec.head_dim;
  a.scale = spec.scale;
  a.softcap = spec.logit_softcap;
  a.sliding_window = spec.sliding_window;
  const bool all_decode = std::all_of(batch_->sequences.begin(), batch_->sequences.end(),
                                      [](const BatchSequence& s) { return s.num_new_tokens == 1; });
  if (all_decode && plan->num_tile_items == 0) ChooseDecodeKernel(*plan, spec, a);
  if (a.cluster_splits > 1) ++num_clustered_attention_;
  Fail(cuda::FromCuda(cuda::LaunchAttention(a, stream_), "Attention"));
}

void CudaBackend::GatedMatMul(const Tensor& x, const Tensor& gate_w, const Tensor& up_w, Activation act, Tensor up,
                              Tensor out) {
  const cuda::GemvJob jobs[] = {{gate_w.data, out.data, nullptr, gate_w.rows, false},
                                {up_w.data, up.data, nullptr, up_w.rows, false}};
  const bool shapes_fit = x.dtype == DType::kBF16 && gate_w.dtype == DType::kBF16 && up_w.dtype == DType::kBF16 &&
                          out.dtype == DType::kBF16 && gate_w.rows == up_w.rows && gate_w.cols == x.cols &&
                          up_w.cols == x.cols && out.rows == x.rows && out.cols == gate_w.rows;
  const bool on_tensor_cores = shapes_fit && cuda::MmaStreamedGemvSupports(x.data, x.rows, x.cols, jobs, 2);
  const bool fused = shapes_fit && (on_tensor_cores || (x.rows <= gemv_max_rows_ &&
                                                        cuda::GemvSupports(x.data, x.rows, x.cols, jobs, 2)));
  if (!fused) {
    Backend::GatedMatMul(x, gate_w, up_w, act, up, out);
    return;
  }
  if (Failed() || !Launching({16, TensorBits(x), TensorBits(gate_w), TensorBits(up_w), TensorBits(out),
                              static_cast<uint64_t>(act)},
                             kKeepsNorm))
    return;
  if (on_tensor_cores) {
    FlushPending(kKeepsNothing);
    ++num_mma_streamed_matmuls_;
    Fail(cuda::FromCuda(cuda::LaunchMmaStreamedGatedGemv(x.data, x.rows, x.cols, gate_w.data, up_w.data, gate_w.rows,
                                                         act == Activation::kSilu ? 0 : 1, out.data, stream_),
                        "mma gated gemv"));
    return;
  }
  if (cuda::StreamedGemvSupports(x.rows, x.cols)) {
    const cuda::GemvFusion fusion = TakeNormOf(x);
    Fail(cuda::FromCuda(cuda::LaunchStreamedGatedGemv(x.data, x.rows, x.cols, gate_w.data, up_w.data, gate_w.rows,
                                                      act == Activation::kSilu ? 0 : 1, out.data, fusion, stream_),
                        "gated gemv"));
    return;
  }
  FlushPending(kKeepsNothing);
  Fail(cuda::FromCuda(cuda::LaunchGatedGemv(x.data, x.rows, x.cols, gate_w.data, up_w.data, gate_w.rows,
                                            act == Activation::kSilu ? 0 : 1, out.data, stream_),
                      "gated gemv"));
}

void CudaBackend::GatedActivation(const Tensor& gate, const Tensor& up, Activation act, Tensor out) {
  if (Failed() || !Launching({8, TensorBits(gate), TensorBits(up), static_cast<uint64_t>(act), TensorBits(out)})) return;
  cuda::LaunchGatedActivation(Bf16(gate), Bf16(up), gate.rows * gate.cols, act == Activation::kSilu ? 0 : 1, Bf16(out),
                              stream_);
  CheckLaunch("GatedActivation");
}

void CudaBackend::Add(Tensor x, const Tensor& y) {
  if (Failed() || !Launching({9, TensorBits(x), TensorBits(y)}, kKeepsMatMul)) return;
  if (AddFolds(x, y)) {
    LaunchPendingMatMul(x.data);
    return;
  }
  FlushPending(kKeepsNothing);
  cuda::LaunchAdd(Bf16(x), Bf16(y), x.rows * x.cols, stream_);
  CheckLaunch("Add");
}

void CudaBackend::GatherLogitRows(const Tensor& x, Tensor out) {
  if (Failed() || !Launching({10, TensorBits(x), TensorBits(out)})) return;
  cuda::LaunchGatherRows(x.data, d_logit_rows_, static_cast<int64_t>(batch_->logit_rows.size()),
                         static_cast<int64_t>(x.RowBytes()), out.data, stream_);
  CheckLaunch("GatherLogitRows");
}

void CudaBackend::SampleRows(const Tensor& x, Tensor out) {
  if (x.dtype != DType::kF32 || out.dtype != DType::kI32 || out.rows * out.cols != x.rows ||
      (d_sampling_ != nullptr && x.rows > static_cast<int64_t>(batch_->sampling.size()))) {
    Fail(InvalidArgument("SampleRows of {} [{}, {}] into {} [{}, {}]", sgl::Name(x.dtype), x.rows, x.cols,
                         sgl::Name(out.dtype), out.rows, out.cols));
    return;
  }
  if (batch_->late_token_masks && !StageLateMasks()) return;
  if (Failed() || !Launching({11, TensorBits(x), TensorBits(out), reinterpret_cast<uintptr_t>(d_sampling_),
                              reinterpret_cast<uintptr_t>(d_logit_edits_), reinterpret_cast<uintptr_t>(d_token_masks_)}))
    return;
  cuda::LaunchSampleRows(static_cast<float*>(x.data), x.rows, x.cols, d_sampling_, d_logit_edits_, d_token_masks_,
                         static_cast<int32_t*>(out.data), stream_);
  CheckLaunch("SampleRows");
}

// Everything before sampling is enqueued (a decode graph, captured up to here, is
// launched): while the device runs it, the host fills the grammar masks, then uploads them.
bool CudaBackend::StageLateMasks() {
  FinishStep();
  if (Failed()) return false;
  const std::span<const uint32_t> masks = batch_->late_token_masks->Get();
  d_token_masks_ = static_cast<const uint32_t*>(Stage(masks_, masks.data(), masks.size_bytes()));
  return !Failed();
}

}  // namespace sgl
