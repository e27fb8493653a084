// WordLevelModel: HF tokenizers' WordLevel: each pre-tokenized piece is one vocabulary
// entry, or the unk token. Immutable; thread-safe.
#pragma once

#include <memory>

#include "tokenizer/model.h"
#include "tokenizer/vocab.h"

namespace sgl::tokenizer {

class WordLevelModel final : public Model {
 public:
  static Result<std::unique_ptr<WordLevelModel>> FromJson(const nlohmann::json& config);

  void Encode(std::string_view piece, std::vector<int32_t>& ids) const override;
  std::optional<int32_t> TokenToId(std::string_view token) const override { return vocab_.TokenToId(token); }
  const std::string* IdToToken(int32_t id) const override { return vocab_.IdToToken(id); }
  int64_t size() const override { return vocab_.size(); }

 private:
  WordLevelModel() = default;

  Vocab vocab_;
  std::optional<int32_t> unk_id_;
};

}  // namespace sgl::tokenizer
