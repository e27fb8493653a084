// ModelConfigFromGguf: reads `<arch>.*` metadata as llama.cpp's converter writes it.
#include <cmath>

#include "format/gguf_file.h"
#include "model/model_config.h"

namespace sgl {
namespace {

Result<Architecture> ArchitectureFromGgufName(const std::string& name) {
  if (name == "llama" || name == "mistral") return Architecture::kLlama;
  if (name == "qwen2") return Architecture::kQwen2;
  if (name == "qwen3") return Architecture::kQwen3;
  if (name == "gemma3") return Architecture::kGemma3;
  return Unsupported("architecture '{}' is not supported (supported: llama, mistral, qwen2, qwen3, gemma3)", name);
}

// Reads `<arch>.<key>` as an integer, or returns `fallback` when absent.
Result<int64_t> IntOr(const GgufFile& f, const std::string& key, int64_t fallback) {
  if (f.Find(key) == nullptr) return fallback;
  return f.GetInt(key);
}
Result<double> FloatOr(const GgufFile& f, const std::string& key, double fallback) {
  if (f.Find(key) == nullptr) return fallback;
  return f.GetFloat(key);
}

Status ReadRopeScaling(const GgufFile& f, const std::string& p, ModelConfig& c) {
  if (f.Find(p + "rope.scaling.type") != nullptr) {
    SGL_ASSIGN_OR_RETURN(std::string type, f.GetString(p + "rope.scaling.type"));
    SGL_ASSIGN_OR_RETURN(c.rope.factor, FloatOr(f, p + "rope.scaling.factor", 1.0));
    if (type == "linear") {
      c.rope.scaling = RopeScalingType::kLinear;
    } else if (type != "none" && c.rope.factor != 1.0) {
      return Unsupported("rope scaling type '{}' is not supported", type);
    }
  } else if (f.Find(p + "rope.scale_linear") != nullptr) {
    c.rope.scaling = RopeScalingType::kLinear;
    SGL_ASSIGN_OR_RETURN(c.rope.factor, f.GetFloat(p + "rope.scale_linear"));
  }
  // llama3-style scaling is stored as per-frequency divisors in a tensor.
  if (const TensorView* freqs = f.FindTensor("rope_freqs.weight")) {
    if (freqs->dtype != DType::kF32) return InvalidArgument("rope_freqs.weight must be F32");
    const float* data = static_cast<const float*>(freqs->data);
    c.rope.freq_factors.assign(data, data + freqs->NumElements());
  }
  return Status::Ok();
}

Status ApplyGemma3Conventions(const GgufFile& f, ModelConfig& c) {
  // llama.cpp's Gemma 3 layout: every 6th layer is global, the rest use a sliding window
  // with RoPE base `rope.freq_base_swa` (10000 when absent); embeddings are scaled by
  // sqrt(hidden); q.k by 1/sqrt(head_dim).
  // `attention.sliding_window_pattern` may be a period n (layer l slides iff l % n < n - 1)
  // or one bool per layer; absent, n = 6.
  const std::string pattern_key = "gemma3.attention.sliding_window_pattern";
  const GgufValue* pattern_value = f.Find(pattern_key);
  if (pattern_value != nullptr && std::holds_alternative<GgufArray>(pattern_value->value)) {
    const auto& flags = std::get<GgufArray>(pattern_value->value);
    if (static_cast<int>(flags.size()) != c.num_layers)
      return InvalidArgument("{} has {} entries for {} layers", pattern_key, flags.size(), c.num_layers);
    for (int l = 0; l < c.num_layers; ++l) {
      const bool* slides = std::get_if<bool>(&flags[l].value);
      if (slides == nullptr) return InvalidArgument("{} must hold booleans", pattern_key);
      c.layer_is_sliding[l] = c.sliding_window > 0 && *slides;
    }
  } else {
    SGL_ASSIGN_OR_RETURN(int64_t period, IntOr(f, pattern_key, 6));
    if (period <= 0) return InvalidArgument("{} must be positive, got {}", pattern_key, period);
    for (int l = 0; l < c.num_layers; ++l) c.layer_is_sliding[l] = c.sliding_window > 0 && l % period < period - 1;
  }
  SGL_ASSIGN_OR_RETURN(c.rope_local.theta, FloatOr(f, "gemma3.rope.freq_base_swa", 10000.0));
  c.rope_local.scaling = RopeScalingType::kNone;
  c.rope_local.freq_factors.clear();
  c.embedding_scale = std::sqrt(static_cast<float>(c.hidden_size));
  c.hidden_act = Activation::kGeluTanh;
  c.qk_norm = true;
  return Status::Ok();
}

}  // namespace

Result<ModelConfig> ModelConfigFromGguf(const GgufFile& f) {
  ModelConfig c;
  SGL_ASSIGN_OR_RETURN(c.arch_name, f.GetString("general.architecture"));
  SGL_ASSIGN_OR_RETURN(c.arch, ArchitectureFromGgufName(c.arch_name));
  const std::string p = c.arch_name + ".";

  const TensorView* embd = f.FindTensor("token_embd.weight");
  if (embd == nullptr || embd->shape.size() != 2) return NotFound("tensor 'token_embd.weight' is missing or not 2-D");
  c.vocab_size = embd->shape[0];
  SGL_ASSIGN_OR_RETURN(c.hidden_size, f.GetInt(p + "embedding_length"));
  SGL_ASSIGN_OR_RETURN(c.intermediate_size, f.GetInt(p + "feed_forward_length"));
  SGL_ASSIGN_OR_RETURN(int64_t layers, f.GetInt(p + "block_count"));
  SGL_ASSIGN_OR_RETURN(int64_t heads, f.GetInt(p + "attention.head_count"));
  SGL_ASSIGN_OR_RETURN(int64_t kv_heads, IntOr(f, p + "attention.head_count_kv", heads));
  if (layers <= 0 || layers > 4096 || heads <= 0 || heads > 4096)
    return InvalidArgument("implausible block_count {} or head_count {}", layers, heads);
  c.num_layers = static_cast<int>(layers);
  c.num_heads = static_cast<int>(heads);
  c.num_kv_heads = static_cast<int>(kv_heads);
  SGL_ASSIGN_OR_RETURN(int64_t head_dim, IntOr(f, p + "attention.key_length", c.hidden_size / heads));
  c.head_dim = static_cast<int>(head_dim);
  SGL_ASSIGN_OR_RETURN(double eps, f.GetFloat(p + "attention.layer_norm_rms_epsilon"));
  c.rms_norm_eps = static_cast<float>(eps);
  SGL_ASSIGN_OR_RETURN(c.context_length, IntOr(f, p + "context_length", 4096));
  SGL_ASSIGN_OR_RETURN(c.rope.theta, FloatOr(f, p + "rope.freq_base", 10000.0));
  SGL_ASSIGN_OR_RETURN(int64_t rotary_dim, IntOr(f, p + "rope.dimension_count", head_dim));
  c.rope.rotary_dim = static_cast<int>(rotary_dim);
  c.rope.neox = c.arch != Architecture::kLlama;  // the converter permutes llama's Q/K rows
  SGL_RETURN_IF_ERROR(ReadRopeScaling(f, p, c));
  c.tie_word_embeddings = f.FindTensor("output.weight") == nullptr;
  c.attention_bias = f.FindTensor("blk.0.attn_q.bias") != nullptr;
  c.qk_norm = f.FindTensor("blk.0.attn_q_norm.weight") != nullptr;
  SGL_ASSIGN_OR_RETURN(int64_t window, IntOr(f, p + "attention.sliding_window", 0));
  c.sliding_window = static_cast<int32_t>(window);
  c.layer_is_sliding.assign(c.num_layers, c.arch != Architecture::kGemma3 && window > 0);
  c.rope_local = c.rope;
  if (c.arch == Architecture::kGemma3) SGL_RETURN_IF_ERROR(ApplyGemma3Conventions(f, c));
  SGL_ASSIGN_OR_RETURN(double final_softcap, FloatOr(f, p + "final_logit_softcapping", 0.0));
  SGL_ASSIGN_OR_RETURN(double attn_softcap, FloatOr(f, p + "attn_logit_softcapping", 0.0));
  c.final_logit_softcap = static_cast<float>(final_softcap);
  c.attn_logit_softcap = static_cast<float>(attn_softcap);

  if (f.Find("tokenizer.ggml.bos_token_id") != nullptr) {
    SGL_ASSIGN_OR_RETURN(int64_t bos, f.GetInt("tokenizer.ggml.bos_token_id"));
    c.bos_token_id = static_cast<int32_t>(bos);
  }
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"}) {
    if (f.Find(key) == nullptr) continue;
    SGL_ASSIGN_OR_RETURN(int64_t id, f.GetInt(key));
    if (std::find(c.eos_token_ids.begin(), c.eos_token_ids.end(), id) == c.eos_token_ids.end())
      c.eos_token_ids.push_back(static_cast<int32_t>(id));
  }
  SGL_RETURN_IF_ERROR(c.Validate());
  return c;
}

}  // namespace sgl
