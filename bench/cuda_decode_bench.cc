// CUDA decode/prefill benchmark on a Llama-3.1-8B-shaped model with random BF16 weights
// made on the GPU (no files, no downloads): the same layer code the model files use
// (model/layers.h) over CudaBackend. Reports the device copy bandwidth measured in this
// run, the HBM bound of a batch-1 decode step (weight bytes / copy bandwidth), decode
// tokens/s at batch 1 and larger batches, and the time to first token of a long prompt.
//   bench_cuda_decode [--layers N] [--prompt N] [--gen N] [--ttft-tokens N] [--graphs 0|1] [--profile 0|1|2]
//                     [--sweep-only 0|1] [--decode-only 0|1] [--batch-sizes 1,2,4] [--gemv-max-rows N]
//                     [--omit qkv,rope,attention,o,norm,mlp] [--attention-clusters 0|1]
//                     [--tensor-core-decode 0|1]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include <cuda_profiler_api.h>
#include <cuda_runtime_api.h>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/attention_kernel.h"
#include "backend/cuda/cuda_status.h"
#include "backend/cuda/kernels.h"
#include "model/layers.h"
#include "model/workspace.h"

namespace sgl {
namespace {

std::vector<int> ParseList(const char* text) {
  std::vector<int> values;
  for (const char* p = text; *p != '\0';) {
    values.push_back(std::atoi(p));
    while (*p != '\0' && *p != ',') ++p;
    if (*p == ',') ++p;
  }
  return values;
}

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  int layers = 32;
  int prompt = 512;
  int gen = 128;
  int ttft_tokens = 2048;
  std::vector<int> batch_sizes = {1, 16, 64};
  int gemv_max_rows = -1;    // -1: the backend's default
  bool decode_only = false;  // skip the copy-rate, linear-sweep and prefill measurements but the bound
  bool graphs = true;
  bool sweep_only = false;  // stop after the linear-layer sweep
  bool attention_clusters = true;  // decode attention's splits merge in thread block clusters where they fit
  int tensor_core_decode = -1;  // 0/1: decode attention on the tensor cores where clusters are not used; -1: default
  std::string omit;  // decode steps leave these stages out of every layer (ablation): qkv,rope,attention,o,norm,mlp
  int profile = 0;  // bracket with cudaProfilerStart/Stop (for ncu): 1 one batch-1 decode step, 2 one TTFT prefill
};

ModelConfig Llama8BConfig(int layers) {
  ModelConfig c;
  c.arch_name = "llama";
  c.vocab_size = 128256;
  c.hidden_size = 4096;
  c.intermediate_size = 14336;
  c.num_layers = layers;
  c.num_heads = 32;
  c.num_kv_heads = 8;
  c.head_dim = 128;
  c.rms_norm_eps = 1e-5f;
  c.context_length = 8192;
  c.rope.theta = 500000.0;
  c.rope.rotary_dim = 128;
  c.layer_is_sliding.assign(layers, false);
  return c;
}

// Random weights on the device; `bytes_read_per_token` counts what a decode step streams.
class RandomLlama {
 public:
  RandomLlama(CudaBackend& backend, const ModelConfig& c)
      : backend_(backend), c_(c), whole_(ModelShard::Whole(c)), ws_(backend) {}

  Status Init() {
    SGL_ASSIGN_OR_RETURN(io_.embed, Matrix(c_.vocab_size, c_.hidden_size, /*streamed=*/false));
    SGL_ASSIGN_OR_RETURN(io_.lm_head, Matrix(c_.vocab_size, c_.hidden_size, true));
    SGL_ASSIGN_OR_RETURN(io_.final_norm, Norm(c_.hidden_size));
    const int64_t q = int64_t{c_.num_heads} * c_.head_dim, kv = int64_t{c_.num_kv_heads} * c_.head_dim;
    layers_.resize(c_.num_layers);
    for (Layer& l : layers_) {
      SGL_ASSIGN_OR_RETURN(l.attn_norm, Norm(c_.hidden_size));
      SGL_ASSIGN_OR_RETURN(l.ffn_norm, Norm(c_.hidden_size));
      SGL_ASSIGN_OR_RETURN(l.attn.q, Matrix(q, c_.hidden_size, true));
      SGL_ASSIGN_OR_RETURN(l.attn.k, Matrix(kv, c_.hidden_size, true));
      SGL_ASSIGN_OR_RETURN(l.attn.v, Matrix(kv, c_.hidden_size, true));
      SGL_ASSIGN_OR_RETURN(l.attn.o, Matrix(c_.hidden_size, q, true));
      SGL_ASSIGN_OR_RETURN(l.mlp.gate, Matrix(c_.intermediate_size, c_.hidden_size, true));
      SGL_ASSIGN_OR_RETURN(l.mlp.up, Matrix(c_.intermediate_size, c_.hidden_size, true));
      SGL_ASSIGN_OR_RETURN(l.mlp.down, Matrix(c_.hidden_size, c_.intermediate_size, true));
    }
    rope_.inv_freq = c_.rope.InverseFrequencies();
    rope_.neox = true;
    return cuda::FromCudaSync(backend_.stream());
  }

  // Stages a decode step leaves out of every layer, to see what each costs in place
  // (`--omit`); the model's own layer code runs when none is left out.
  void set_omit(const std::string& omit) { omit_ = omit; }

  Status Forward(const ForwardBatch& batch, ForwardOutput* out) {
    if (!omit_.empty() && batch.num_tokens() == static_cast<int64_t>(batch.logit_rows.size()))
      return ForwardOmitting(batch, out);
    enum { kHidden = kFirstFreeWorkspaceId, kNormed, kBranch };
    const int64_t n = batch.num_tokens();
    SGL_RETURN_IF_ERROR(backend_.BeginForward(batch));
    SGL_ASSIGN_OR_RETURN(Tensor hidden, ws_.Get(kHidden, n, c_.hidden_size));
    SGL_ASSIGN_OR_RETURN(Tensor normed, ws_.Get(kNormed, n, c_.hidden_size));
    SGL_ASSIGN_OR_RETURN(Tensor branch, ws_.Get(kBranch, n, c_.hidden_size));
    backend_.Embed(io_.embed, 0, 1.0f, hidden);
    backend_.RmsNorm(hidden, layers_[0].attn_norm, c_.rms_norm_eps, normed);
    for (int l = 0; l < c_.num_layers; ++l) {
      const Layer& layer = layers_[l];
      SGL_RETURN_IF_ERROR(SelfAttention(backend_, ws_, c_, whole_, l, layer.attn, rope_, normed, branch));
      backend_.AddRmsNorm(hidden, branch, layer.ffn_norm, c_.rms_norm_eps, normed);
      SGL_RETURN_IF_ERROR(GatedMlp(backend_, ws_, c_, whole_, layer.mlp, normed, branch));
      if (l + 1 < c_.num_layers) {
        backend_.AddRmsNorm(hidden, branch, layers_[l + 1].attn_norm, c_.rms_norm_eps, normed);
      } else {
        backend_.Add(hidden, branch);
      }
    }
    return ComputeLogits(backend_, ws_, c_, whole_, io_, hidden, batch, out);
  }

  cudaStream_t stream() const { return backend_.stream(); }
  double bytes_read_per_token() const { return static_cast<double>(streamed_bytes_); }

  // Forward's decode step spelled out op by op, without the stages named in omit_ (their
  // outputs keep stale values: the timing is what matters).
  Status ForwardOmitting(const ForwardBatch& batch, ForwardOutput* out) {
    enum { kHidden = kFirstFreeWorkspaceId + 20, kNormed, kBranch, kQ, kK, kV, kAttn, kGate, kUp };
    auto on = [&](const std::string& stage) {
      return ("," + omit_ + ",").find("," + stage + ",") == std::string::npos;
    };
    const int64_t n = batch.num_tokens();
    const int64_t q_width = int64_t{c_.num_heads} * c_.head_dim, kv_width = int64_t{c_.num_kv_heads} * c_.head_dim;
    SGL_RETURN_IF_ERROR(backend_.BeginForward(batch));
    SGL_ASSIGN_OR_RETURN(Tensor hidden, ws_.Get(kHidden, n, c_.hidden_size));
    SGL_ASSIGN_OR_RETURN(Tensor normed, ws_.Get(kNormed, n, c_.hidden_size));
    SGL_ASSIGN_OR_RETURN(Tensor branch, ws_.Get(kBranch, n, c_.hidden_size));
    SGL_ASSIGN_OR_RETURN(Tensor q, ws_.Get(kQ, n, q_width));
    SGL_ASSIGN_OR_RETURN(Tensor k, ws_.Get(kK, n, kv_width));
    SGL_ASSIGN_OR_RETURN(Tensor v, ws_.Get(kV, n, kv_width));
    SGL_ASSIGN_OR_RETURN(Tensor attn, ws_.Get(kAttn, n, q_width));
    SGL_ASSIGN_OR_RETURN(Tensor gate, ws_.Get(kGate, n, c_.intermediate_size));
    SGL_ASSIGN_OR_RETURN(Tensor up, ws_.Get(kUp, n, c_.intermediate_size));
    backend_.Embed(io_.embed, 0, 1.0f, hidden);
    backend_.RmsNorm(hidden, layers_[0].attn_norm, c_.rms_norm_eps, normed);
    for (int l = 0; l < c_.num_layers; ++l) {
      const Layer& layer = layers_[l];
      const LinearJob qkv[] = {{layer.attn.q, Tensor{}, q}, {layer.attn.k, Tensor{}, k}, {layer.attn.v, Tensor{}, v}};
      if (on("qkv")) backend_.MatMuls(normed, qkv);
      if (on("rope")) {
        backend_.Rope(q, c_.head_dim, rope_);
        backend_.Rope(k, c_.head_dim, rope_);
        backend_.StoreKv(l, k, v);
      }
      if (on("attention")) backend_.Attention(l, q, AttentionSpecFor(c_, whole_.layout, l), attn);
      if (on("o")) backend_.MatMul(attn, layer.attn.o, Tensor{}, branch);
      if (on("norm")) backend_.AddRmsNorm(hidden, branch, layer.ffn_norm, c_.rms_norm_eps, normed);
      if (on("mlp")) {
        backend_.GatedMatMul(normed, layer.mlp.gate, layer.mlp.up, c_.hidden_act, up, gate);
        backend_.MatMul(gate, layer.mlp.down, Tensor{}, branch);
      }
      if (on("norm") && l + 1 < c_.num_layers)
        backend_.AddRmsNorm(hidden, branch, layers_[l + 1].attn_norm, c_.rms_norm_eps, normed);
    }
    return ComputeLogits(backend_, ws_, c_, whole_, io_, hidden, batch, out);
  }

  // Only the linear layers of one batch-1 step, as a decode step issues them (q/k/v and
  // gate/up sharing their input): what the weight streaming alone costs.
  // Every linear layer of a decode step at batch 1, or only one kind (`only`: 0 qkv, 1 o,
  // 2 gate/up, 3 down, 4 lm_head) over all layers.
  Status LinearSweep(int only = -1) {
    enum { kX = kFirstFreeWorkspaceId + 8, kQ, kK, kV, kO, kGate, kUp, kDown, kLogits };
    const int64_t q = int64_t{c_.num_heads} * c_.head_dim, kv = int64_t{c_.num_kv_heads} * c_.head_dim;
    SGL_ASSIGN_OR_RETURN(Tensor x, ws_.Get(kX, 1, c_.intermediate_size));
    SGL_ASSIGN_OR_RETURN(Tensor tq, ws_.Get(kQ, 1, q));
    SGL_ASSIGN_OR_RETURN(Tensor tk, ws_.Get(kK, 1, kv));
    SGL_ASSIGN_OR_RETURN(Tensor tv, ws_.Get(kV, 1, kv));
    SGL_ASSIGN_OR_RETURN(Tensor to, ws_.Get(kO, 1, c_.hidden_size));
    SGL_ASSIGN_OR_RETURN(Tensor tg, ws_.Get(kGate, 1, c_.intermediate_size));
    SGL_ASSIGN_OR_RETURN(Tensor tu, ws_.Get(kUp, 1, c_.intermediate_size));
    SGL_ASSIGN_OR_RETURN(Tensor td, ws_.Get(kDown, 1, c_.hidden_size));
    SGL_ASSIGN_OR_RETURN(Tensor tl, ws_.Get(kLogits, 1, c_.vocab_size, DType::kF32));
    const Tensor xh{x.data, x.dtype, 1, c_.hidden_size};
    for (const Layer& l : layers_) {
      const LinearJob qkv[] = {{l.attn.q, Tensor{}, tq}, {l.attn.k, Tensor{}, tk}, {l.attn.v, Tensor{}, tv}};
      if (only < 0 || only == 0) backend_.MatMuls(xh, qkv);
      if (only < 0 || only == 1) backend_.MatMul(Tensor{x.data, x.dtype, 1, q}, l.attn.o, Tensor{}, to);
      const LinearJob gate_up[] = {{l.mlp.gate, Tensor{}, tg}, {l.mlp.up, Tensor{}, tu}};
      if (only < 0 || only == 2) backend_.MatMuls(xh, gate_up);
      if (only < 0 || only == 3) backend_.MatMul(x, l.mlp.down, Tensor{}, td);
    }
    if (only < 0 || only == 4) backend_.MatMul(xh, io_.lm_head, Tensor{}, tl);
    backend_.LaunchHeldBack();
    return backend_.status();
  }

 private:
  struct Layer {
    Tensor attn_norm, ffn_norm;
    AttentionWeights attn;
    MlpWeights mlp;
  };

  Result<Tensor> Matrix(int64_t rows, int64_t cols, bool streamed) {
    Tensor t{nullptr, DType::kBF16, rows, cols};
    SGL_ASSIGN_OR_RETURN(auto buf, backend_.Allocate(t.NumBytes()));
    t.data = buf->data();
    buffers_.push_back(std::move(buf));
    // Uniform with the standard deviation of N(0, 0.02), HF's initializer.
    cuda::LaunchFillRandomBf16(t.As<uint16_t>(), rows * cols, ++seed_, 0.02f * 1.7320508f, 0.0f, backend_.stream());
    if (streamed) streamed_bytes_ += t.NumBytes();
    return t;
  }

  Result<Tensor> Norm(int64_t n) {
    Tensor t{nullptr, DType::kF32, 1, n};
    SGL_ASSIGN_OR_RETURN(auto buf, backend_.Allocate(t.NumBytes()));
    t.data = buf->data();
    buffers_.push_back(std::move(buf));
    cuda::LaunchFillRandomF32(t.As<float>(), n, ++seed_, 0.1f, 1.0f, backend_.stream());
    streamed_bytes_ += t.NumBytes();
    return t;
  }

  CudaBackend& backend_;
  ModelConfig c_;
  ModelShard whole_;
  Workspace ws_;
  EmbeddingWeights io_;
  std::vector<Layer> layers_;
  RopeSpec rope_;
  std::vector<std::unique_ptr<DeviceBuffer>> buffers_;
  uint64_t seed_ = 1234;
  size_t streamed_bytes_ = 0;
  std::string omit_;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// Device-to-device copy bandwidth, bytes read + written per second (median of 20).
Result<double> CopyBandwidth(CudaBackend& backend) {
  constexpr size_t kBytes = size_t{2} << 30;
  SGL_ASSIGN_OR_RETURN(auto a, backend.Allocate(kBytes));
  SGL_ASSIGN_OR_RETURN(auto b, backend.Allocate(kBytes));
  cuda::LaunchFillRandomBf16(static_cast<uint16_t*>(a->data()), kBytes / 2, 7, 1.0f, 0.0f, backend.stream());
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  std::vector<double> times;
  for (int i = 0; i < 23; ++i) {
    cudaEventRecord(start, backend.stream());
    cudaMemcpyAsync(b->data(), a->data(), kBytes, cudaMemcpyDeviceToDevice, backend.stream());
    cudaEventRecord(stop, backend.stream());
    cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    if (i >= 3) times.push_back(ms * 1e-3);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  SGL_RETURN_IF_ERROR(cuda::FromCudaSync(backend.stream()));
  return 2.0 * kBytes / Median(times);
}

// Batch `bs` sequences: prefill `prompt` tokens each, then `gen` decode steps; returns the
// median seconds of one decode step.
Result<double> DecodeStepSeconds(RandomLlama& model, const ModelConfig& c, int bs, int prompt, int gen,
                                 bool profile = false) {
  std::vector<std::vector<int32_t>> slots(bs);
  std::vector<int32_t> next(bs);
  ForwardOutput out;  // greedy on the device, as the scheduler decodes: only token ids come back
  int32_t slot = 0;
  for (int s = 0; s < bs; ++s) {
    ForwardBatch prefill;
    std::vector<int32_t> ids(prompt);
    for (int i = 0; i < prompt; ++i) ids[i] = static_cast<int32_t>((s * 7919 + i * 104729) % c.vocab_size);
    for (int i = 0; i < prompt; ++i) slots[s].push_back(slot++);
    prefill.AddSequence(ids, slots[s], true);
    prefill.host_logit_rows.assign(1, 0);
    SGL_RETURN_IF_ERROR(model.Forward(prefill, &out));
    next[s] = out.tokens[0];
  }
  std::vector<double> times, device_times;
  cudaEvent_t ends[2];
  cudaEventCreate(&ends[0]);
  cudaEventCreate(&ends[1]);
  for (int step = 0; step < gen; ++step) {
    ForwardBatch batch;
    for (int s = 0; s < bs; ++s) {
      slots[s].push_back(slot++);
      batch.AddSequence({next[s]}, slots[s], true);
    }
    batch.host_logit_rows.assign(bs, 0);
    const bool profiled = profile && step == gen / 2;
    if (profiled) cudaProfilerStart();
    const auto t0 = Clock::now();
    cudaEventRecord(ends[0], model.stream());
    SGL_RETURN_IF_ERROR(model.Forward(batch, &out));
    cudaEventRecord(ends[1], model.stream());
    cudaEventSynchronize(ends[1]);
    if (profiled) cudaProfilerStop();
    for (int s = 0; s < bs; ++s) next[s] = out.tokens[s];
    times.push_back(Seconds(t0, Clock::now()));
    float ms = 0;
    cudaEventElapsedTime(&ms, ends[0], ends[1]);
    device_times.push_back(ms * 1e-3);
  }
  std::printf("decode bs%d: stream time of a step %.3f ms (host-timed %.3f ms)\n", bs, Median(device_times) * 1e3,
              Median(times) * 1e3);
  return Median(times);
}

Result<double> PrefillSeconds(RandomLlama& model, const ModelConfig& c, int tokens, bool profile) {
  std::vector<int32_t> ids(tokens), slots(tokens);
  for (int i = 0; i < tokens; ++i) ids[i] = static_cast<int32_t>((i * 104729 + 13) % c.vocab_size);
  std::iota(slots.begin(), slots.end(), 0);
  std::vector<double> times;
  ForwardOutput out;
  for (int rep = 0; rep < 4; ++rep) {
    ForwardBatch batch;
    batch.AddSequence(ids, slots, true);
    batch.host_logit_rows.assign(1, 0);
    const auto t0 = Clock::now();
    if (profile && rep == 2) cudaProfilerStart();
    SGL_RETURN_IF_ERROR(model.Forward(batch, &out));
    if (profile && rep == 2) cudaProfilerStop();
    if (rep > 0) times.push_back(Seconds(t0, Clock::now()));
  }
  return Median(times);
}

Status Run(const BenchOptions& o) {
  SGL_ASSIGN_OR_RETURN(auto backend, CudaBackend::Create(0));
  backend->set_graph_max_batch(o.graphs ? 64 : 0);
  if (o.gemv_max_rows >= 0) backend->set_gemv_max_rows(o.gemv_max_rows);
  backend->set_attention_clusters(o.attention_clusters);
  if (o.tensor_core_decode >= 0) backend->set_tensor_core_decode(o.tensor_core_decode != 0);
  std::printf("backend: %s, CUDA graphs %s\n", backend->Name().c_str(), o.graphs ? "on" : "off");
  SGL_ASSIGN_OR_RETURN(const double copy_bw, CopyBandwidth(*backend));
  const ModelConfig c = Llama8BConfig(o.layers);
  RandomLlama model(*backend, c);
  SGL_RETURN_IF_ERROR(model.Init());
  model.set_omit(o.omit);
  const int max_bs = *std::max_element(o.batch_sizes.begin(), o.batch_sizes.end());
  const int64_t slots = std::max<int64_t>(o.ttft_tokens, int64_t{max_bs} * (o.prompt + o.gen + 1));
  SGL_RETURN_IF_ERROR(backend->CreateKvCache({c.num_layers, slots, c.num_kv_heads, c.head_dim}));

  const double bound_s = model.bytes_read_per_token() / copy_bw;
  std::printf("copy bandwidth (read+write): %.2f TB/s\n", copy_bw / 1e12);
  std::printf("weights streamed per decode step: %.2f GB -> HBM bound %.3f ms/step = %.1f tok/s at batch 1\n",
              model.bytes_read_per_token() / 1e9, bound_s * 1e3, 1.0 / bound_s);
  // Median seconds of LinearSweep(only) over 10 runs after 3 warm-ups.
  auto time_sweep = [&](int only) -> Result<double> {
    std::vector<double> times;
    cudaEvent_t start, stop;
    cudaEventCreate(&start);
    cudaEventCreate(&stop);
    for (int i = 0; i < 13; ++i) {
      cudaEventRecord(start, backend->stream());
      SGL_RETURN_IF_ERROR(model.LinearSweep(only));
      cudaEventRecord(stop, backend->stream());
      cudaEventSynchronize(stop);
      float ms = 0;
      cudaEventElapsedTime(&ms, start, stop);
      if (i >= 3) times.push_back(ms * 1e-3);
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    return Median(times);
  };
  // The linear layers alone, each kind apart, then the time to first token.
  auto report_sweep_and_prefill = [&]() -> Status {
    SGL_ASSIGN_OR_RETURN(const double sweep, time_sweep(-1));
    std::printf("RESULT linear_sweep_bs1_ms %.3f (%.2f TB/s of weights, %.3f of the copy bandwidth)\n", sweep * 1e3,
                model.bytes_read_per_token() / sweep / 1e12, model.bytes_read_per_token() / sweep / copy_bw);
    const char* kinds[] = {"qkv", "o", "gate_up", "down", "lm_head"};
    const double k = c.hidden_size, f = c.intermediate_size, q = double(c.num_heads) * c.head_dim,
                 kv = double(c.num_kv_heads) * c.head_dim;
    const double kind_bytes[] = {2 * k * (q + 2 * kv) * c.num_layers, 2 * k * q * c.num_layers,
                                 2 * k * 2 * f * c.num_layers, 2 * f * k * c.num_layers, 2 * k * c.vocab_size};
    for (int kind = 0; kind < 5; ++kind) {
      SGL_ASSIGN_OR_RETURN(const double t, time_sweep(kind));
      std::printf("linear %-8s %8.1f us per launch, %.3f of the copy bandwidth\n", kinds[kind],
                  t * 1e6 / (kind == 4 ? 1 : c.num_layers), kind_bytes[kind] / t / copy_bw);
    }
    if (o.sweep_only) return Status::Ok();
    SGL_ASSIGN_OR_RETURN(const double ttft, PrefillSeconds(model, c, o.ttft_tokens, o.profile == 2));
    std::printf("RESULT prefill_%d_tokens_ms %.2f (%.0f tok/s)\n", o.ttft_tokens, ttft * 1e3, o.ttft_tokens / ttft);
    return Status::Ok();
  };
  if (!o.decode_only) {
    SGL_RETURN_IF_ERROR(report_sweep_and_prefill());
    if (o.sweep_only) return Status::Ok();
  }
  const int64_t replays_before = backend->num_graph_replays();
  for (int bs : o.batch_sizes) {
    SGL_ASSIGN_OR_RETURN(const double step, DecodeStepSeconds(model, c, bs, o.prompt, o.gen, o.profile == 1 && bs == 1));
    std::printf("RESULT decode_bs%d_step_ms %.3f tok/s %.1f", bs, step * 1e3, bs / step);
    if (bs == 1) std::printf(" ratio_of_hbm_bound %.3f", bound_s / step);
    std::printf("\n");
  }
  std::printf("CUDA graph replays during decode: %lld\n",
              static_cast<long long>(backend->num_graph_replays() - replays_before));
  std::printf("decode attention launches merged in clusters: %lld, on the tensor cores: %lld\n",
              static_cast<long long>(backend->num_clustered_attention()),
              static_cast<long long>(backend->num_tensor_core_decodes()));
  std::printf("decode attention clusters at once (head_dim 128, 4 q heads):");
  for (int s : {2, 4, 8, 9, 12, 16}) std::printf(" %d of %d blocks", cuda::DecodeAttentionClusters(128, 4, s), s);
  std::printf("\n");
  return Status::Ok();
}

}  // namespace
}  // namespace sgl

int main(int argc, char** argv) {
  sgl::BenchOptions o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--layers") o.layers = value;
    else if (flag == "--prompt") o.prompt = value;
    else if (flag == "--gen") o.gen = value;
    else if (flag == "--ttft-tokens") o.ttft_tokens = value;
    else if (flag == "--graphs") o.graphs = value != 0;
    else if (flag == "--profile") o.profile = value;
    else if (flag == "--sweep-only") o.sweep_only = value != 0;
    else if (flag == "--decode-only") o.decode_only = value != 0;
    else if (flag == "--gemv-max-rows") o.gemv_max_rows = value;
    else if (flag == "--batch-sizes") o.batch_sizes = sgl::ParseList(argv[i + 1]);
    else if (flag == "--omit") o.omit = argv[i + 1];
    else if (flag == "--attention-clusters") o.attention_clusters = value != 0;
    else if (flag == "--tensor-core-decode") o.tensor_core_decode = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const sgl::Status s = sgl::Run(o);
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
