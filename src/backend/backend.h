// Backend: the operations model code is written over. A model calls these ops on
// Tensors; the CPU backend runs them with threads + SIMD, the CUDA backend with kernels,
// and model files never change between the two. One Backend serves one model and is
// driven by one thread (the scheduler's); ops run in call order.
//
// Per-step metadata (token ids, positions, KV slots, sequence boundaries) comes in once
// through BeginForward(); ops that need it (Embed, Rope, StoreKv, Attention, GatherRows)
// read it from there.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backend/forward_batch.h"
#include "backend/tensor.h"
#include "base/status.h"

namespace sgl {

// Owning handle to backend memory (freed on destruction).
class DeviceBuffer {
 public:
  virtual ~DeviceBuffer() = default;
  virtual void* data() const = 0;
  virtual size_t size() const = 0;
};

enum class Activation { kSilu, kGeluTanh };

// Rotary embedding of the first 2 * inv_freq.size() dims of each head:
// angle(pos, i) = pos * inv_freq[i]. `neox` rotates pairs (i, i + rotary_dim / 2)
// (Hugging Face's rotate_half); otherwise adjacent pairs (2i, 2i + 1) (GGUF llama).
struct DeviceMemory {
  int64_t free_bytes = 0;
  int64_t total_bytes = 0;
};

struct RopeSpec {
  std::vector<float> inv_freq;
  bool neox = true;
  float attention_factor = 1.0f;  // multiplies cos and sin (YaRN-style mscale)
  // Multi-axis rotary (M-RoPE, 2-D vision RoPE): when non-empty, frequencies
  // [sum(sections[0, a)), sum(sections[0, a])) take their position from the batch's
  // axis_positions[a] instead of positions (a batch without that axis uses positions, as
  // text-only M-RoPE does). The sections add up to inv_freq.size().
  std::vector<int> axis_sections;
};

struct AttentionSpec {
  int num_q_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  float scale = 1.0f;          // applied to q.k
  int32_t sliding_window = 0;  // > 0: a query sees only the last `sliding_window` keys
  float logit_softcap = 0.0f;  // > 0: scores = softcap * tanh(scores / softcap)
};

struct KvCacheShape {
  int num_layers = 0;
  int64_t num_slots = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
};

// One linear layer of a MatMuls call: out = x * w^T (+ bias). bias may be empty.
struct LinearJob {
  Tensor w;
  Tensor bias;
  Tensor out;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string Name() const = 0;
  // The dtype activations and the KV cache use on this backend.
  virtual DType ActivationDType() const = 0;

  // --- memory ---
  virtual Result<std::unique_ptr<DeviceBuffer>> Allocate(size_t bytes) = 0;
  // Makes a host weight usable by ops. The CPU backend uses the host memory in place
  // (it must outlive the model); a device backend copies it.
  virtual Result<Tensor> PrepareWeight(const Tensor& host) = 0;
  // (Re)creates the KV cache; previous contents are lost.
  virtual Status CreateKvCache(const KvCacheShape& shape) = 0;
  // Bytes of KV cache one token slot takes across all layers (for capacity planning).
  virtual size_t KvBytesPerSlot(const KvCacheShape& shape) const = 0;
  // The device's free and total memory now; nullopt for a backend working in host memory.
  virtual std::optional<DeviceMemory> QueryDeviceMemory() const { return std::nullopt; }

  // --- one step ---
  // REQUIRES: every slot in batch.kv_slots / out_kv_slots < the KV cache's num_slots.
  virtual Status BeginForward(const ForwardBatch& batch) = 0;

  // out[t] = table[input_ids[t] - first_id] * scale for ids in [first_id, first_id +
  // table.rows), zeros for other ids (a tensor-parallel rank's vocabulary shard; first_id
  // is 0 for the whole table).
  virtual void Embed(const Tensor& table, int64_t first_id, float scale, Tensor out) = 0;
  // RMS norm over groups of weight.cols elements (whole rows, or each head when
  // x.cols is a multiple of weight.cols): out = x / rms(x) * weight. out may alias x.
  virtual void RmsNorm(const Tensor& x, const Tensor& weight, float eps, Tensor out) = 0;
  // residual += x; out = RmsNorm(residual).
  virtual void AddRmsNorm(Tensor residual, const Tensor& x, const Tensor& weight, float eps, Tensor out) = 0;
  // Linear layers sharing the input x (q/k/v, gate/up) in one pass: x is converted once
  // and all weights' rows are shared out together. w may be quantized.
  virtual void MatMuls(const Tensor& x, std::span<const LinearJob> jobs) = 0;
  // out = x * w^T (+ bias).
  void MatMul(const Tensor& x, const Tensor& w, const Tensor& bias, Tensor out) {
    const LinearJob job{w, bias, out};
    MatMuls(x, {&job, 1});
  }
  // Rotates each head of x (x.cols = heads * head_dim) in place at the batch's positions.
  // `rope` must stay alive and unchanged until the next BeginForward (backends may cache
  // its cos/sin tables for the step by address).
  virtual void Rope(Tensor x, int head_dim, const RopeSpec& rope) = 0;
  // Writes the new tokens' k and v rows ([num_tokens, kv_heads * head_dim]) to their slots.
  virtual void StoreKv(int layer, const Tensor& k, const Tensor& v) = 0;
  // Causal attention of each new token over its sequence's KV history (incl. itself).
  virtual void Attention(int layer, const Tensor& q, const AttentionSpec& spec, Tensor out) = 0;
  // out = act(gate) * up.
  virtual void GatedActivation(const Tensor& gate, const Tensor& up, Activation act, Tensor out) = 0;
  // A gated MLP's first half: out = act(x * gate_w^T) * (x * up_w^T). `up` ([x.rows,
  // up_w.rows]) is scratch a backend may use for the second product; backends that can
  // fuse the three steps override this.
  virtual void GatedMatMul(const Tensor& x, const Tensor& gate_w, const Tensor& up_w, Activation act, Tensor up,
                           Tensor out) {
    const LinearJob gate_up[] = {{gate_w, Tensor{}, out}, {up_w, Tensor{}, up}};
    MatMuls(x, gate_up);
    GatedActivation(out, up, act, out);
  }
  // x += y.
  virtual void Add(Tensor x, const Tensor& y) = 0;
  // out[i] = x[batch.logit_rows[i]].
  virtual void GatherLogitRows(const Tensor& x, Tensor out) = 0;
  // out[r] = the token of row r of x (float32 logits of the batch's logit rows), drawn as
  // the batch's SamplingOf(r) says (row_sampling.h: its edits are applied to x in place
  // first; temperature 0 is the argmax, the lowest column on ties, as std::max_element);
  // out is int32 [x.rows, 1].
  virtual void SampleRows(const Tensor& x, Tensor out) = 0;
  // Copies a float tensor to host memory (dst holds rows * cols floats).
  virtual Status CopyToHost(const Tensor& x, float* dst) = 0;
  // Copies an int32 tensor to host memory (dst holds rows * cols values).
  virtual Status CopyToHost(const Tensor& x, int32_t* dst) = 0;

  // --- encoder ops (vision towers); the CUDA backend does not have them yet and fails
  // the step with Unsupported ---
  // Copies dst.rows * dst.cols host floats into an activation tensor.
  virtual void Upload(const float* src, Tensor dst) = 0;
  // out = (x - mean) / sqrt(var + eps) * weight + bias over each row. out may alias x.
  virtual void LayerNorm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor out) = 0;
  // out = gelu(x) with the exact erf form. out may alias x.
  virtual void Gelu(const Tensor& x, Tensor out) = 0;
  // Full (non-causal) attention of each batch sequence's tokens over that sequence's
  // k/v rows, without the KV cache; spec.sliding_window and softcap must be 0.
  virtual void BidirectionalAttention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionSpec& spec,
                                      Tensor out) = 0;
};

}  // namespace sgl
