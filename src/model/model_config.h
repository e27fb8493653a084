// ModelConfig: the hyper-parameters of a decoder-only transformer, read from a GGUF
// file's metadata or a Hugging Face config.json, normalized so model code never needs to
// know which file format it came from. Plain data; validated by Validate().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "base/status.h"

namespace sgl {

class GgufFile;

enum class Architecture { kLlama, kQwen2, kQwen3, kGemma3, kGlm4v, kQwen25Vl };

enum class RopeScalingType { kNone, kLinear, kLlama3 };

struct RopeConfig {
  double theta = 10000.0;
  int rotary_dim = 0;  // dims of each head that rotate (<= head_dim)
  bool neox = true;    // pair layout; false for GGUF llama (its Q/K rows are permuted)
  RopeScalingType scaling = RopeScalingType::kNone;
  double factor = 1.0;
  double low_freq_factor = 1.0;           // llama3
  double high_freq_factor = 4.0;          // llama3
  int64_t original_max_positions = 8192;  // llama3
  std::vector<float> freq_factors;        // GGUF rope_freqs: inv_freq[i] /= freq_factors[i]
  // M-RoPE (GLM-4.1V, Qwen2.5-VL): frequencies per position axis (t, h, w), summing to
  // rotary_dim / 2; empty for one-axis RoPE.
  std::vector<int> mrope_section;

  // The per-pair inverse frequencies this configuration rotates with.
  std::vector<float> InverseFrequencies() const;
};

struct ModelConfig {
  Architecture arch = Architecture::kLlama;
  std::string arch_name;  // as the file named it ("llama", "mistral", "qwen2", ...)
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  float rms_norm_eps = 1e-5f;
  int64_t context_length = 0;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q/k/v projections have biases (Qwen2)
  bool qk_norm = false;         // per-head RMS norm of q and k before RoPE (Qwen3, Gemma3)
  Activation hidden_act = Activation::kSilu;
  RopeConfig rope;

  // Sliding-window attention: layer_is_sliding[l] says which layers use it.
  int32_t sliding_window = 0;
  std::vector<bool> layer_is_sliding;
  RopeConfig rope_local;  // RoPE of sliding layers (Gemma3: base 10000)

  // Gemma-style details.
  float embedding_scale = 1.0f;      // embeddings are multiplied by this
  float attention_scale = 0.0f;      // q.k scale; 0 => 1/sqrt(head_dim)
  float norm_weight_offset = 0.0f;   // added to every RMS norm weight at load (HF Gemma: 1)
  float final_logit_softcap = 0.0f;
  float attn_logit_softcap = 0.0f;

  // Vision-language models: the placeholder token image embeddings replace.
  std::optional<int32_t> image_token_id;

  std::optional<int32_t> bos_token_id;
  std::vector<int32_t> eos_token_ids;

  Status Validate() const;
  std::string Summary() const;
};

// Both fail with a message naming the missing or invalid key.
Result<ModelConfig> ModelConfigFromGguf(const GgufFile& gguf);
Result<ModelConfig> ModelConfigFromHf(const nlohmann::json& config);

}  // namespace sgl
