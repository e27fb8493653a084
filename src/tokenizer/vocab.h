// Vocab: a token <-> id table as tokenizer.json spells it ({"token": id, ...}), shared
// by the WordPiece and WordLevel models. Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace sgl::tokenizer {

class Vocab {
 public:
  Vocab() = default;
  // REQUIRES: `vocab` is a JSON object of non-negative integer ids.
  static Result<Vocab> FromJson(const nlohmann::json& vocab);

  std::optional<int32_t> TokenToId(std::string_view token) const;
  const std::string* IdToToken(int32_t id) const;
  int64_t size() const { return static_cast<int64_t>(id_to_token_.size()); }
  // Bytes in the longest token (bounds greedy longest-match searches).
  size_t max_token_len() const { return max_token_len_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> token_to_id_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> has_token_;
  size_t max_token_len_ = 0;
};

}  // namespace sgl::tokenizer
