// BpeModel: HF tokenizers' BPE model. A piece is split into characters (unknown ones
// become <0xNN> byte tokens with byte_fallback, else the unk token, fused if asked),
// then the adjacent pair of lowest merge rank is merged repeatedly (leftmost first on
// ties) until none applies. Ranks come from an explicit merge list or, for SentencePiece
// vocabularies without one (GGUF "llama"), from a per-token priority: a pair merges if
// its concatenation is a token, ranked by that token's priority. Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"
#include "tokenizer/model.h"

namespace sgl::tokenizer {

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool byte_fallback = false;
  bool fuse_unk = false;
  bool ignore_merges = false;
};

class BpeModel final : public Model {
 public:
  // From tokenizer.json's "model" object (type BPE).
  static Result<std::unique_ptr<BpeModel>> FromJson(const nlohmann::json& config);
  // `tokens[id]` spells token id; `merges` are (left, right) in rank order.
  static Result<std::unique_ptr<BpeModel>> FromMerges(const std::vector<std::string>& tokens,
                                                      const std::vector<std::pair<std::string, std::string>>& merges,
                                                      BpeOptions options);
  // SentencePiece-style: `priority[id]` (lower merges first) orders the merge that
  // produces token id.
  static Result<std::unique_ptr<BpeModel>> FromPriorities(const std::vector<std::string>& tokens,
                                                          std::vector<int64_t> priority, BpeOptions options);

  // Appends the ids of one pre-tokenized piece to `ids`.
  void Encode(std::string_view piece, std::vector<int32_t>& ids) const override;

  std::optional<int32_t> TokenToId(std::string_view token) const override;
  // nullptr if id is not in the vocabulary.
  const std::string* IdToToken(int32_t id) const override;
  int64_t size() const override { return static_cast<int64_t>(id_to_token_.size()); }

 private:
  struct Merge {
    int64_t rank;
    int32_t new_id;
  };
  BpeModel() = default;
  Status SetVocab(const std::vector<std::pair<std::string, int32_t>>& vocab);
  Status AddMerge(const std::string& left, const std::string& right, int64_t rank);
  std::optional<Merge> FindMerge(int32_t left, int32_t right) const;

  BpeOptions options_;
  struct Hash {  // lets TokenToId look up a string_view without building a string
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> token_to_id_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> has_token_;
  std::unordered_map<uint64_t, Merge> merges_;  // key: left << 32 | right
  std::vector<int64_t> priority_;                // SentencePiece mode when non-empty
  std::optional<int32_t> unk_id_;
  std::vector<std::optional<int32_t>> byte_ids_;  // <0xNN> tokens, when byte_fallback
};

}  // namespace sgl::tokenizer
