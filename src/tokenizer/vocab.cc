// Vocab loading; ids may have gaps (IdToToken answers nullptr there).
#include "tokenizer/vocab.h"

#include <nlohmann/json.hpp>

#include "tokenizer/json_int.h"

namespace sgl::tokenizer {

// Ids beyond this are not a vocabulary but a corrupt file (and would allocate wildly).
constexpr int64_t kMaxVocabId = int64_t{1} << 24;

Result<Vocab> Vocab::FromJson(const nlohmann::json& vocab) {
  if (!vocab.is_object()) return InvalidArgument("vocab is not a {{token: id}} object");
  Vocab out;
  int64_t max_id = -1;
  for (const auto& [token, id] : vocab.items()) {
    auto value = ReadInt(id, 0, kMaxVocabId - 1, "vocab id of '" + token + "'");
    if (!value.ok()) return value.status();
    max_id = std::max(max_id, *value);
  }
  out.id_to_token_.assign(static_cast<size_t>(max_id + 1), std::string());
  out.has_token_.assign(static_cast<size_t>(max_id + 1), false);
  out.token_to_id_.reserve(vocab.size());
  for (const auto& [token, id] : vocab.items()) {
    const auto value = id.get<int32_t>();
    out.token_to_id_[token] = value;
    out.id_to_token_[value] = token;
    out.has_token_[value] = true;
    out.max_token_len_ = std::max(out.max_token_len_, token.size());
  }
  return out;
}

std::optional<int32_t> Vocab::TokenToId(std::string_view token) const {
  const auto it = token_to_id_.find(token);
  if (it == token_to_id_.end()) return std::nullopt;
  return it->second;
}

const std::string* Vocab::IdToToken(int32_t id) const {
  if (id < 0 || id >= size() || !has_token_[id]) return nullptr;
  return &id_to_token_[id];
}

}  // namespace sgl::tokenizer
