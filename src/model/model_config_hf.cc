// ModelConfigFromHf: reads a Hugging Face config.json (transformers 4.x and 5.x keys).
#include <cmath>

#include "model/model_config.h"

namespace sgl {
namespace {

using nlohmann::json;

// A present, non-null key of the wanted JSON kind, or nullptr.
const json* Get(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

Result<int64_t> GetInt(const json& j, const char* key, std::optional<int64_t> fallback = std::nullopt) {
  const json* v = Get(j, key);
  if (v == nullptr) {
    if (fallback) return *fallback;
    return NotFound("config.json: missing '{}'", key);
  }
  if (!v->is_number_integer()) return InvalidArgument("config.json: '{}' must be an integer", key);
  return v->get<int64_t>();
}

Result<double> GetFloat(const json& j, const char* key, std::optional<double> fallback = std::nullopt) {
  const json* v = Get(j, key);
  if (v == nullptr) {
    if (fallback) return *fallback;
    return NotFound("config.json: missing '{}'", key);
  }
  if (!v->is_number()) return InvalidArgument("config.json: '{}' must be a number", key);
  return v->get<double>();
}

Result<Architecture> ArchitectureFromModelType(const std::string& t) {
  if (t == "llama" || t == "mistral") return Architecture::kLlama;
  if (t == "qwen2") return Architecture::kQwen2;
  if (t == "qwen3") return Architecture::kQwen3;
  if (t == "gemma3_text") return Architecture::kGemma3;
  if (t == "glm4v") return Architecture::kGlm4v;
  if (t == "qwen2_5_vl") return Architecture::kQwen25Vl;
  return Unsupported(
      "config.json: model_type '{}' is not supported (llama, mistral, qwen2, qwen3, gemma3_text, glm4v, qwen2_5_vl)", t);
}

// Fills theta and scaling from one rope parameter object: transformers 5's
// `rope_parameters` entry or 4.x's `rope_scaling` (theta then comes from `rope_theta`).
Status ReadRope(const json& params, RopeConfig& rope) {
  if (const json* theta = Get(params, "rope_theta")) rope.theta = theta->get<double>();
  std::string type = "default";
  if (const json* t = Get(params, "rope_type")) type = t->get<std::string>();
  else if (const json* t2 = Get(params, "type")) type = t2->get<std::string>();
  if (type == "default" || type == "mrope") return Status::Ok();  // "mrope": Qwen2-VL's old name for default
  SGL_ASSIGN_OR_RETURN(rope.factor, GetFloat(params, "factor", 1.0));
  if (type == "linear") {
    rope.scaling = RopeScalingType::kLinear;
  } else if (type == "llama3") {
    rope.scaling = RopeScalingType::kLlama3;
    SGL_ASSIGN_OR_RETURN(rope.low_freq_factor, GetFloat(params, "low_freq_factor", 1.0));
    SGL_ASSIGN_OR_RETURN(rope.high_freq_factor, GetFloat(params, "high_freq_factor", 4.0));
    SGL_ASSIGN_OR_RETURN(rope.original_max_positions, GetInt(params, "original_max_position_embeddings", 8192));
  } else {
    return Unsupported("config.json: rope type '{}' is not supported (default, linear, llama3)", type);
  }
  return Status::Ok();
}

Status ReadRopeConfigs(const json& j, ModelConfig& c) {
  SGL_ASSIGN_OR_RETURN(c.rope.theta, GetFloat(j, "rope_theta", 10000.0));
  c.rope_local = c.rope;
  if (const json* local = Get(j, "rope_local_base_freq")) c.rope_local.theta = local->get<double>();
  if (const json* scaling = Get(j, "rope_scaling"); scaling && scaling->is_object())
    SGL_RETURN_IF_ERROR(ReadRope(*scaling, c.rope));
  if (const json* params = Get(j, "rope_parameters"); params && params->is_object()) {
    // transformers 5: either one object, or one per layer type.
    if (params->contains("full_attention") || params->contains("sliding_attention")) {
      if (const json* full = Get(*params, "full_attention")) SGL_RETURN_IF_ERROR(ReadRope(*full, c.rope));
      if (const json* local = Get(*params, "sliding_attention")) SGL_RETURN_IF_ERROR(ReadRope(*local, c.rope_local));
    } else {
      SGL_RETURN_IF_ERROR(ReadRope(*params, c.rope));
    }
  }
  if (c.arch != Architecture::kGemma3) c.rope_local = c.rope;  // only Gemma rotates local layers differently
  return Status::Ok();
}

Status ReadSlidingWindow(const json& j, ModelConfig& c) {
  c.layer_is_sliding.assign(c.num_layers, false);
  const json* window = Get(j, "sliding_window");
  if (window == nullptr || !window->is_number_integer()) return Status::Ok();
  if (const json* use = Get(j, "use_sliding_window"); use && !use->get<bool>()) return Status::Ok();
  c.sliding_window = window->get<int32_t>();
  if (const json* types = Get(j, "layer_types"); types && types->is_array()) {
    if (static_cast<int>(types->size()) != c.num_layers)
      return InvalidArgument("config.json: layer_types has {} entries for {} layers", types->size(), c.num_layers);
    for (int l = 0; l < c.num_layers; ++l) {
      const json& type = (*types)[l];
      c.layer_is_sliding[l] = type.is_string() && type.get<std::string>() == "sliding_attention";
    }
  } else if (c.arch == Architecture::kGemma3) {
    SGL_ASSIGN_OR_RETURN(int64_t pattern, GetInt(j, "sliding_window_pattern", 6));
    for (int l = 0; l < c.num_layers; ++l) c.layer_is_sliding[l] = (l + 1) % pattern != 0;
  } else {
    c.layer_is_sliding.assign(c.num_layers, true);
  }
  return Status::Ok();
}

Status ReadSpecialTokens(const json& j, ModelConfig& c) {
  if (const json* bos = Get(j, "bos_token_id"); bos && bos->is_number_integer()) c.bos_token_id = bos->get<int32_t>();
  if (const json* eos = Get(j, "eos_token_id")) {
    if (eos->is_number_integer()) c.eos_token_ids.push_back(eos->get<int32_t>());
    if (eos->is_array())
      for (const json& id : *eos)
        if (id.is_number_integer()) c.eos_token_ids.push_back(id.get<int32_t>());
  }
  return Status::Ok();
}

// M-RoPE's frequencies per position axis (t, h, w) from `params` (rope_parameters or
// rope_scaling); they must add up to rotary_dim / 2. Absent: one-axis RoPE.
Status ReadMropeSection(const json& params, ModelConfig& c) {
  const json* sections = Get(params, "mrope_section");
  if (sections == nullptr) return Status::Ok();
  if (!sections->is_array()) return InvalidArgument("config.json: mrope_section must be a list");
  int total = 0;
  for (const json& s : *sections) {
    if (!s.is_number_integer() || s.get<int>() < 0 || s.get<int>() > 4096)
      return InvalidArgument("config.json: bad mrope_section");
    c.rope.mrope_section.push_back(s.get<int>());
    total += s.get<int>();
  }
  if (total != c.rope.rotary_dim / 2) {
    return InvalidArgument("config.json: mrope_section sums to {}, rotary dims / 2 is {}", total,
                           c.rope.rotary_dim / 2);
  }
  return Status::Ok();
}

// The object holding a VLM's rope settings: rope_parameters (transformers 5),
// rope_scaling (older configs) or the config itself.
const json& RopeParams(const json& j) {
  for (const char* key : {"rope_parameters", "rope_scaling"}) {
    if (const json* params = Get(j, key); params && params->is_object()) return *params;
  }
  return j;
}

// GLM-4.1V's text RoPE: partial (partial_rotary_factor of each head), adjacent pairs,
// M-RoPE sections; q/k/v always have biases.
Status ReadGlm4vRope(const json& j, ModelConfig& c) {
  c.attention_bias = true;
  c.rope.neox = false;
  const json& params = RopeParams(j);
  SGL_ASSIGN_OR_RETURN(double partial, GetFloat(params, "partial_rotary_factor", 0.5));
  c.rope.rotary_dim = static_cast<int>(c.head_dim * partial);
  SGL_RETURN_IF_ERROR(ReadMropeSection(params, c));
  c.rope_local = c.rope;
  return Status::Ok();
}

// Qwen2.5-VL's text RoPE: rotate_half over the whole head with M-RoPE sections, which it
// cannot do without.
Status ReadQwen25VlRope(const json& j, ModelConfig& c) {
  SGL_RETURN_IF_ERROR(ReadMropeSection(RopeParams(j), c));
  if (c.rope.mrope_section.empty()) return NotFound("config.json: qwen2_5_vl without rope mrope_section");
  c.rope_local = c.rope;
  return Status::Ok();
}

// A vision-language config.json keeps the language model's fields in text_config
// (transformers 5) or, in Qwen2.5-VL's published configs, at the top level; tied
// embeddings, special tokens and the image token are read from the top when present.
Result<json> FlattenVisionLanguage(const json& j, bool text_config_required) {
  const json* text = Get(j, "text_config");
  if (text_config_required && (text == nullptr || !text->is_object()))
    return NotFound("config.json: {} without 'text_config'", j["model_type"].get<std::string>());
  json flat = j;
  flat.erase("text_config");
  flat.erase("vision_config");
  if (text != nullptr && text->is_object()) {
    if (text_config_required) flat = json::object();  // GLM-4.1V: only text_config's fields
    for (const auto& [key, value] : text->items()) flat[key] = value;
  }
  flat["model_type"] = j["model_type"];
  for (const char* key : {"tie_word_embeddings", "image_token_id", "eos_token_id", "bos_token_id"}) {
    if (const json* v = Get(j, key)) flat[key] = *v;
  }
  return flat;
}

Result<ModelConfig> Parse(const json& j) {
  ModelConfig c;
  const json* model_type = Get(j, "model_type");
  if (model_type == nullptr || !model_type->is_string()) return NotFound("config.json: missing 'model_type'");
  c.arch_name = model_type->get<std::string>();
  SGL_ASSIGN_OR_RETURN(c.arch, ArchitectureFromModelType(c.arch_name));
  SGL_ASSIGN_OR_RETURN(c.vocab_size, GetInt(j, "vocab_size"));
  SGL_ASSIGN_OR_RETURN(c.hidden_size, GetInt(j, "hidden_size"));
  SGL_ASSIGN_OR_RETURN(c.intermediate_size, GetInt(j, "intermediate_size"));
  SGL_ASSIGN_OR_RETURN(int64_t layers, GetInt(j, "num_hidden_layers"));
  SGL_ASSIGN_OR_RETURN(int64_t heads, GetInt(j, "num_attention_heads"));
  SGL_ASSIGN_OR_RETURN(int64_t kv_heads, GetInt(j, "num_key_value_heads", heads));
  if (layers <= 0 || layers > 4096 || heads <= 0 || heads > 4096)
    return InvalidArgument("config.json: implausible num_hidden_layers {} or num_attention_heads {}", layers, heads);
  c.num_layers = static_cast<int>(layers);
  c.num_heads = static_cast<int>(heads);
  c.num_kv_heads = static_cast<int>(kv_heads);
  SGL_ASSIGN_OR_RETURN(int64_t head_dim, GetInt(j, "head_dim", c.hidden_size / heads));
  c.head_dim = static_cast<int>(head_dim);
  SGL_ASSIGN_OR_RETURN(double eps, GetFloat(j, "rms_norm_eps", 1e-6));
  c.rms_norm_eps = static_cast<float>(eps);
  SGL_ASSIGN_OR_RETURN(c.context_length, GetInt(j, "max_position_embeddings", 4096));
  const bool gemma = c.arch == Architecture::kGemma3;
  const json* tie = Get(j, "tie_word_embeddings");
  c.tie_word_embeddings = tie ? tie->get<bool>() : gemma;
  c.attention_bias = c.arch == Architecture::kQwen2 || c.arch == Architecture::kQwen25Vl;
  if (const json* bias = Get(j, "attention_bias")) c.attention_bias = bias->get<bool>();
  c.qk_norm = c.arch == Architecture::kQwen3 || gemma;

  SGL_RETURN_IF_ERROR(ReadRopeConfigs(j, c));
  c.rope.rotary_dim = c.rope_local.rotary_dim = c.head_dim;
  if (c.arch == Architecture::kGlm4v) SGL_RETURN_IF_ERROR(ReadGlm4vRope(j, c));
  if (c.arch == Architecture::kQwen25Vl) SGL_RETURN_IF_ERROR(ReadQwen25VlRope(j, c));
  SGL_RETURN_IF_ERROR(ReadSlidingWindow(j, c));
  SGL_RETURN_IF_ERROR(ReadSpecialTokens(j, c));
  if (const json* image = Get(j, "image_token_id"); image && image->is_number_integer()) {
    c.image_token_id = image->get<int32_t>();
  }

  std::string act = gemma ? "gelu_pytorch_tanh" : "silu";  // transformers' defaults
  if (const json* a = Get(j, gemma ? "hidden_activation" : "hidden_act"); a && a->is_string()) act = a->get<std::string>();
  if (act == "gelu_pytorch_tanh" || act == "gelu_tanh") c.hidden_act = Activation::kGeluTanh;
  else if (act != "silu") return Unsupported("config.json: activation '{}' is not supported (silu, gelu_pytorch_tanh)", act);

  if (gemma) {
    c.embedding_scale = std::sqrt(static_cast<float>(c.hidden_size));
    SGL_ASSIGN_OR_RETURN(double scalar, GetFloat(j, "query_pre_attn_scalar", c.head_dim));
    c.attention_scale = static_cast<float>(1.0 / std::sqrt(scalar));
    c.norm_weight_offset = 1.0f;
    SGL_ASSIGN_OR_RETURN(double final_cap, GetFloat(j, "final_logit_softcapping", 0.0));
    SGL_ASSIGN_OR_RETURN(double attn_cap, GetFloat(j, "attn_logit_softcapping", 0.0));
    c.final_logit_softcap = static_cast<float>(final_cap);
    c.attn_logit_softcap = static_cast<float>(attn_cap);
  }
  SGL_RETURN_IF_ERROR(c.Validate());
  return c;
}

}  // namespace

Result<ModelConfig> ModelConfigFromHf(const json& j) {
  if (!j.is_object()) return InvalidArgument("config.json: must be a JSON object");
  try {
    if (const json* type = Get(j, "model_type"); type && type->is_string()) {
      const std::string name = type->get<std::string>();
      if (name == "glm4v" || name == "qwen2_5_vl") {
        SGL_ASSIGN_OR_RETURN(const json flat, FlattenVisionLanguage(j, name == "glm4v"));
        return Parse(flat);
      }
    }
    return Parse(j);
  } catch (const json::exception& e) {
    return InvalidArgument("config.json: a value has the wrong type ({})", e.what());
  }
}

}  // namespace sgl
