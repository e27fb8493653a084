// Model::FromJson: dispatch on tokenizer.json's model "type".
#include "tokenizer/model.h"

#include <nlohmann/json.hpp>

#include "tokenizer/bpe_model.h"
#include "tokenizer/unigram_model.h"
#include "tokenizer/word_level_model.h"
#include "tokenizer/wordpiece_model.h"

namespace sgl::tokenizer {
namespace {

template <typename T>
Result<std::unique_ptr<Model>> Upcast(Result<std::unique_ptr<T>> model) {
  if (!model.ok()) return model.status();
  return std::unique_ptr<Model>(std::move(model).value());
}

// HF serializes the type, but older files leave it out; the fields tell them apart.
std::string InferType(const nlohmann::json& config) {
  if (config.contains("type") && config.at("type").is_string()) return config.at("type").get<std::string>();
  if (config.contains("merges")) return "BPE";
  if (config.contains("vocab") && config.at("vocab").is_array()) return "Unigram";
  if (config.contains("continuing_subword_prefix") || config.contains("max_input_chars_per_word")) return "WordPiece";
  return "WordLevel";
}

}  // namespace

Result<std::unique_ptr<Model>> Model::FromJson(const nlohmann::json& config) {
  if (!config.is_object()) return InvalidArgument("tokenizer model is not an object");
  const std::string type = InferType(config);
  if (type == "BPE") return Upcast(BpeModel::FromJson(config));
  if (type == "WordPiece") return Upcast(WordPieceModel::FromJson(config));
  if (type == "Unigram") return Upcast(UnigramModel::FromJson(config));
  if (type == "WordLevel") return Upcast(WordLevelModel::FromJson(config));
  return Unsupported("tokenizer model '{}' is not supported (supported: BPE, WordPiece, Unigram, WordLevel)", type);
}

}  // namespace sgl::tokenizer
