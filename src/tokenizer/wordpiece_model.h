// WordPieceModel: HF tokenizers' WordPiece (BERT). A piece is cut greedily into the
// longest vocabulary entries from the left; every entry after the first is looked up
// with continuing_subword_prefix ("##") in front. If some position matches nothing, or
// the piece has more than max_input_chars_per_word characters, the whole piece becomes
// the unk token. Immutable; thread-safe.
#pragma once

#include <memory>

#include "tokenizer/model.h"
#include "tokenizer/vocab.h"

namespace sgl::tokenizer {

class WordPieceModel final : public Model {
 public:
  static Result<std::unique_ptr<WordPieceModel>> FromJson(const nlohmann::json& config);

  void Encode(std::string_view piece, std::vector<int32_t>& ids) const override;
  std::optional<int32_t> TokenToId(std::string_view token) const override { return vocab_.TokenToId(token); }
  const std::string* IdToToken(int32_t id) const override { return vocab_.IdToToken(id); }
  int64_t size() const override { return vocab_.size(); }

 private:
  WordPieceModel() = default;

  Vocab vocab_;
  std::optional<int32_t> unk_id_;
  std::string continuing_subword_prefix_;
  size_t max_input_chars_per_word_ = 100;
};

}  // namespace sgl::tokenizer
