// Greedy longest-match-first, as HF's WordPiece::tokenize: the candidate end shrinks
// one code point at a time, so entries always end on a character boundary.
#include "tokenizer/wordpiece_model.h"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "tokenizer/json_int.h"
#include "tokenizer/utf8.h"

namespace sgl::tokenizer {
namespace {

size_t CountCodePoints(std::string_view text) {
  size_t n = 0;
  for (const char c : text) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

// Start of the code point that ends at `end` (exclusive).
size_t PreviousBoundary(std::string_view text, size_t end) {
  size_t pos = end - 1;
  while (pos > 0 && (static_cast<uint8_t>(text[pos]) & 0xC0) == 0x80) --pos;
  return pos;
}

}  // namespace

Result<std::unique_ptr<WordPieceModel>> WordPieceModel::FromJson(const nlohmann::json& config) {
  std::unique_ptr<WordPieceModel> model(new WordPieceModel());
  auto vocab = Vocab::FromJson(config.at("vocab"));
  if (!vocab.ok()) return vocab.status().WithContext("WordPiece");
  model->vocab_ = std::move(vocab).value();
  const std::string unk = config.value("unk_token", std::string("[UNK]"));
  model->unk_id_ = model->vocab_.TokenToId(unk);
  model->continuing_subword_prefix_ = config.value("continuing_subword_prefix", std::string("##"));
  auto max_chars = ReadIntField(config, "max_input_chars_per_word", 100, 0, INT64_MAX);
  if (!max_chars.ok()) return max_chars.status();
  model->max_input_chars_per_word_ = static_cast<size_t>(*max_chars);
  return model;
}

void WordPieceModel::Encode(std::string_view piece, std::vector<int32_t>& ids) const {
  if (piece.empty()) return;
  auto unk = [&] {
    if (unk_id_) ids.push_back(*unk_id_);
  };
  if (CountCodePoints(piece) > max_input_chars_per_word_) return unk();
  const size_t first_new = ids.size();
  std::string candidate;
  for (size_t start = 0; start < piece.size();) {
    std::optional<int32_t> found;
    // No entry is longer than the longest token, so longer candidates need no lookup
    // (this keeps a long piece linear rather than quadratic).
    const size_t prefix_len = start > 0 ? continuing_subword_prefix_.size() : 0;
    const size_t longest = vocab_.max_token_len() > prefix_len ? vocab_.max_token_len() - prefix_len : 0;
    size_t end = piece.size();
    if (end - start > longest) {
      end = start + longest;
      while (end > start && (static_cast<uint8_t>(piece[end]) & 0xC0) == 0x80) --end;  // a character boundary
    }
    while (end > start) {
      candidate.clear();
      if (start > 0) candidate = continuing_subword_prefix_;
      candidate.append(piece.substr(start, end - start));
      found = vocab_.TokenToId(candidate);
      if (found) break;
      end = PreviousBoundary(piece, end);
    }
    if (!found) {
      ids.resize(first_new);
      return unk();
    }
    ids.push_back(*found);
    start = end;
  }
}

}  // namespace sgl::tokenizer
