#include "model/model_files.h"

#include <cstring>
#include <filesystem>
#include <map>

#include "base/float16.h"
#include "format/gguf_file.h"
#include "format/hf_checkpoint.h"

namespace sgl {

ModelFiles::~ModelFiles() = default;

std::string HfTensorName(const std::string& gguf_name, Architecture arch) {
  static const std::map<std::string, std::string> kGlobal = {
      {"token_embd.weight", "model.embed_tokens.weight"},
      {"output_norm.weight", "model.norm.weight"},
      {"output.weight", "lm_head.weight"},
  };
  const bool glm4v = arch == Architecture::kGlm4v;
  // GLM-4.1V nests its language model under model.language_model.
  static const std::map<std::string, std::string> kGlm4vGlobal = {
      {"token_embd.weight", "model.language_model.embed_tokens.weight"},
      {"output_norm.weight", "model.language_model.norm.weight"},
      {"output.weight", "lm_head.weight"},
  };
  const auto& global = glm4v ? kGlm4vGlobal : kGlobal;
  if (auto it = global.find(gguf_name); it != global.end()) return it->second;
  // "blk.<layer>.<part>.<weight|bias>"
  const std::string prefix = "blk.";
  if (gguf_name.rfind(prefix, 0) != 0) return "";
  const size_t layer_end = gguf_name.find('.', prefix.size());
  const size_t part_end = gguf_name.rfind('.');
  if (layer_end == std::string::npos || part_end <= layer_end + 1 || layer_end == prefix.size()) return "";
  const std::string layer = gguf_name.substr(prefix.size(), layer_end - prefix.size());
  const std::string part = gguf_name.substr(layer_end + 1, part_end - layer_end - 1);
  const std::string kind = gguf_name.substr(part_end + 1);
  if (layer.find_first_not_of("0123456789") != std::string::npos || (kind != "weight" && kind != "bias")) return "";
  const bool gemma = arch == Architecture::kGemma3;
  static const std::map<std::string, std::string> kLayer = {
      {"attn_norm", "input_layernorm"},      {"attn_q", "self_attn.q_proj"},
      {"attn_k", "self_attn.k_proj"},        {"attn_v", "self_attn.v_proj"},
      {"attn_output", "self_attn.o_proj"},   {"attn_q_norm", "self_attn.q_norm"},
      {"attn_k_norm", "self_attn.k_norm"},   {"ffn_gate", "mlp.gate_proj"},
      {"ffn_up", "mlp.up_proj"},             {"ffn_down", "mlp.down_proj"},
      {"post_ffw_norm", "post_feedforward_layernorm"},
  };
  std::string hf;
  if (glm4v && part == "post_attention_norm") hf = "post_self_attn_layernorm";
  else if (glm4v && part == "post_ffw_norm") hf = "post_mlp_layernorm";
  else if (part == "ffn_gate_up") hf = "mlp.gate_up_proj";
  else if (part == "ffn_norm") hf = gemma ? "pre_feedforward_layernorm" : "post_attention_layernorm";
  else if (part == "post_attention_norm") hf = "post_attention_layernorm";
  else if (auto it = kLayer.find(part); it != kLayer.end()) hf = it->second;
  else return "";
  return fmt::format("{}.{}.{}.{}", glm4v ? "model.language_model.layers" : "model.layers", layer, hf, kind);
}

Result<std::unique_ptr<ModelFiles>> ModelFiles::Open(const std::string& path) {
  std::unique_ptr<ModelFiles> files(new ModelFiles());
  files->path_ = path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    SGL_ASSIGN_OR_RETURN(files->hf_, HfCheckpoint::Open(path));
    auto config = ModelConfigFromHf(files->hf_->config());
    if (!config.ok()) return config.status().WithContext(path);
    files->config_ = std::move(config).value();
  } else {
    SGL_ASSIGN_OR_RETURN(files->gguf_, GgufFile::Open(path));
    auto config = ModelConfigFromGguf(*files->gguf_);
    if (!config.ok()) return config.status().WithContext(path);
    files->config_ = std::move(config).value();
  }
  return files;
}

std::string ModelFiles::Description() const {
  std::map<std::string, int> counts;
  size_t num_tensors = 0;
  auto count = [&](const TensorView& t) {
    ++counts[std::string(Name(t.dtype))];
    ++num_tensors;
  };
  std::string kind;
  if (gguf_) {
    for (const TensorView& t : gguf_->tensors()) count(t);
    kind = fmt::format("GGUF v{}", gguf_->version());
  } else {
    for (const auto& [name, t] : hf_->tensors()) count(t);
    kind = "safetensors";
  }
  std::string types;
  for (const auto& [name, n] : counts) types += fmt::format("{}{} x{}", types.empty() ? "" : ", ", name, n);
  return fmt::format("{}, {} tensors ({})", kind, num_tensors, types);
}

const TensorView* ModelFiles::Find(const std::string& name) const {
  if (gguf_) return gguf_->FindTensor(name);
  const std::string hf_name = HfTensorName(name, config_.arch);
  if (hf_name.empty()) return nullptr;
  const TensorView* t = hf_->FindTensor(hf_name);
  // Qwen2.5-VL: the published layout ("model.layers.*"), or transformers 4.5x's, which
  // nests the language model under model.language_model.
  if (t == nullptr && config_.arch == Architecture::kQwen25Vl && hf_name.rfind("model.", 0) == 0)
    t = hf_->FindTensor("model.language_model." + hf_name.substr(6));
  return t;
}

bool ModelFiles::Has(const std::string& name) const { return Find(name) != nullptr; }

Result<Tensor> ModelFiles::Matrix(const std::string& name, int64_t rows, int64_t cols) const {
  const TensorView* t = Find(name);
  if (t == nullptr) return NotFound("{}: tensor '{}' is missing", path_, name);
  if (t->shape.size() != 2 || t->shape[0] != rows || t->shape[1] != cols)
    return InvalidArgument("{}: tensor '{}' has shape [{}], expected [{}, {}]", path_, name,
                           fmt::join(t->shape, ", "), rows, cols);
  return Tensor{const_cast<void*>(t->data), t->dtype, rows, cols};
}

Result<Tensor> ModelFiles::MatrixRows(const std::string& name, int64_t rows, int64_t cols, int64_t begin,
                                      int64_t count) const {
  SGL_ASSIGN_OR_RETURN(Tensor whole, Matrix(name, rows, cols));
  if (begin < 0 || count < 0 || begin + count > rows)
    return InvalidArgument("{}: rows [{}, {}) of tensor '{}' are outside its {} rows", path_, begin, begin + count, name, rows);
  return whole.Rows(begin, count);
}

Result<Tensor> ModelFiles::MatrixCols(const std::string& name, int64_t rows, int64_t cols, int64_t begin,
                                      int64_t count) {
  SGL_ASSIGN_OR_RETURN(Tensor whole, Matrix(name, rows, cols));
  if (begin < 0 || count < 0 || begin + count > cols)
    return InvalidArgument("{}: columns [{}, {}) of tensor '{}' are outside its {} columns", path_, begin,
                           begin + count, name, cols);
  const int64_t block = Info(whole.dtype).block_size;
  if (begin % block != 0 || count % block != 0)
    return Unsupported("{}: tensor '{}' ({}, blocks of {} columns) cannot be split at columns [{}, {}) for tensor "
                       "parallelism; use a tp size that splits it at whole blocks, or an unquantized file",
                       path_, name, Name(whole.dtype), block, begin, begin + count);
  const size_t offset = RowBytes(whole.dtype, begin), slice_bytes = RowBytes(whole.dtype, count);
  std::vector<uint8_t>& out = owned_matrices_.emplace_back(slice_bytes * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(out.data() + r * slice_bytes, whole.Rows(r, 1).As<uint8_t>() + offset, slice_bytes);
  return Tensor{out.data(), whole.dtype, rows, count};
}

Result<Tensor> ModelFiles::VectorRange(const std::string& name, int64_t size, int64_t begin, int64_t count) {
  SGL_ASSIGN_OR_RETURN(Tensor whole, Vector(name, size, /*is_norm=*/false));
  if (begin < 0 || count < 0 || begin + count > size)
    return InvalidArgument("{}: elements [{}, {}) of vector '{}' are outside its {}", path_, begin, begin + count, name, size);
  return Tensor{whole.As<float>() + begin, DType::kF32, 1, count};
}

Result<Tensor> ModelFiles::Vector(const std::string& name, int64_t size, bool is_norm) {
  const TensorView* t = Find(name);
  if (t == nullptr) return NotFound("{}: tensor '{}' is missing", path_, name);
  if (t->NumElements() != size || t->shape.empty() || t->shape.back() != size)
    return InvalidArgument("{}: tensor '{}' has shape [{}], expected [{}]", path_, name, fmt::join(t->shape, ", "),
                           size);
  std::vector<float>& out = owned_vectors_.emplace_back(size);
  const float offset = is_norm ? config_.norm_weight_offset : 0.0f;
  for (int64_t i = 0; i < size; ++i) {
    float v;
    switch (t->dtype) {
      case DType::kF32: v = static_cast<const float*>(t->data)[i]; break;
      case DType::kF16: v = F16ToF32(static_cast<const uint16_t*>(t->data)[i]); break;
      case DType::kBF16: v = Bf16ToF32(static_cast<const uint16_t*>(t->data)[i]); break;
      default: return Unsupported("{}: vector '{}' has unsupported type {}", path_, name, Name(t->dtype));
    }
    out[i] = v + offset;
  }
  return Tensor{out.data(), DType::kF32, 1, size};
}

}  // namespace sgl
