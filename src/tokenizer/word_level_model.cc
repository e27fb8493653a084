// WordLevel: a whole-piece lookup.
#include "tokenizer/word_level_model.h"

#include <nlohmann/json.hpp>

namespace sgl::tokenizer {

Result<std::unique_ptr<WordLevelModel>> WordLevelModel::FromJson(const nlohmann::json& config) {
  std::unique_ptr<WordLevelModel> model(new WordLevelModel());
  auto vocab = Vocab::FromJson(config.at("vocab"));
  if (!vocab.ok()) return vocab.status().WithContext("WordLevel");
  model->vocab_ = std::move(vocab).value();
  if (config.contains("unk_token") && config.at("unk_token").is_string()) {
    model->unk_id_ = model->vocab_.TokenToId(config.at("unk_token").get<std::string>());
  }
  return model;
}

void WordLevelModel::Encode(std::string_view piece, std::vector<int32_t>& ids) const {
  if (piece.empty()) return;
  if (const auto id = vocab_.TokenToId(piece)) {
    ids.push_back(*id);
  } else if (unk_id_) {
    ids.push_back(*unk_id_);
  }
}

}  // namespace sgl::tokenizer
