// Viterbi over a byte trie, following HF's Unigram::encode_optimized: positions advance
// one code point at a time, every vocabulary entry starting there relaxes the best path
// at its end, and when no single-character entry exists the character gets an unk edge.
#include "tokenizer/unigram_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tokenizer/json_int.h"
#include "tokenizer/utf8.h"

namespace sgl::tokenizer {
namespace {

constexpr double kUnkPenalty = 10.0;
constexpr size_t kMaxPieces = size_t{1} << 24;

}  // namespace

void UnigramModel::Insert(std::string_view piece, int32_t id) {
  int32_t node = 0;
  for (const char c : piece) {
    const uint64_t key = (static_cast<uint64_t>(node) << 8) | static_cast<uint8_t>(c);
    auto [it, inserted] = edges_.emplace(key, static_cast<int32_t>(terminal_.size()));
    if (inserted) terminal_.push_back(-1);
    node = it->second;
  }
  terminal_[node] = id;  // a repeated piece answers with its last id, as HF's map does
}

Result<std::unique_ptr<UnigramModel>> UnigramModel::FromJson(const nlohmann::json& config) {
  const auto& vocab = config.at("vocab");
  if (!vocab.is_array()) return InvalidArgument("Unigram vocab is not a list of [piece, score]");
  if (vocab.size() > kMaxPieces) return InvalidArgument("Unigram vocab has {} entries", vocab.size());
  std::unique_ptr<UnigramModel> model(new UnigramModel());
  model->pieces_.reserve(vocab.size());
  for (const auto& entry : vocab) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number()) {
      return InvalidArgument("Unigram vocab entry {} is not [piece, score]", entry.dump());
    }
    model->pieces_.push_back(entry[0].get<std::string>());
    model->scores_.push_back(entry[1].get<double>());
  }
  if (config.contains("unk_id") && !config.at("unk_id").is_null()) {
    if (model->pieces_.empty()) return InvalidArgument("Unigram: unk_id with an empty vocabulary");
    auto unk = ReadInt(config.at("unk_id"), 0, model->size() - 1, "Unigram unk_id");
    if (!unk.ok()) return unk.status();
    model->unk_id_ = static_cast<int32_t>(*unk);
  }
  model->piece_to_id_.reserve(model->pieces_.size());
  for (size_t id = 0; id < model->pieces_.size(); ++id) {
    model->piece_to_id_[model->pieces_[id]] = static_cast<int32_t>(id);
    model->Insert(model->pieces_[id], static_cast<int32_t>(id));
  }
  const double min_score = model->scores_.empty() ? 0.0 : *std::min_element(model->scores_.begin(), model->scores_.end());
  model->unk_score_ = min_score - kUnkPenalty;
  model->byte_fallback_ = config.value("byte_fallback", false);
  if (model->byte_fallback_) {
    model->byte_ids_.resize(256);
    for (int b = 0; b < 256; ++b) model->byte_ids_[b] = model->TokenToId(fmt::format("<0x{:02X}>", b));
  }
  return model;
}

std::optional<int32_t> UnigramModel::TokenToId(std::string_view token) const {
  const auto it = piece_to_id_.find(token);
  if (it == piece_to_id_.end()) return std::nullopt;
  return it->second;
}

const std::string* UnigramModel::IdToToken(int32_t id) const {
  if (id < 0 || id >= size()) return nullptr;
  return &pieces_[id];
}

std::vector<UnigramModel::BestPath> UnigramModel::Viterbi(std::string_view text) const {
  std::vector<BestPath> best(text.size() + 1);
  for (size_t begin = 0; begin < text.size();) {
    const double score_here = best[begin].score;
    const size_t char_len = DecodeUtf8(text, begin).len;
    bool has_single_char = false;
    auto relax = [&](size_t end, int32_t id, double score) {
      BestPath& target = best[end];
      if (target.id < 0 || score_here + score > target.score) target = {score_here + score, begin, id};
    };
    int32_t node = 0;
    for (size_t pos = begin; pos < text.size(); ++pos) {
      const auto it = edges_.find((static_cast<uint64_t>(node) << 8) | static_cast<uint8_t>(text[pos]));
      if (it == edges_.end()) break;
      node = it->second;
      const int32_t id = terminal_[node];
      if (id < 0) continue;
      relax(pos + 1, id, scores_[id]);
      has_single_char |= pos + 1 - begin == char_len;
    }
    if (!has_single_char && unk_id_) relax(begin + char_len, *unk_id_, unk_score_);
    begin += char_len;
  }
  return best;
}

void UnigramModel::EmitSpan(std::string_view span, int32_t id, std::vector<int32_t>& ids) const {
  if (id != unk_id_) return ids.push_back(id);
  // An unk span may still spell a piece (the unk piece itself, typed in the text).
  if (const auto found = TokenToId(span)) return ids.push_back(*found);
  if (byte_fallback_) {
    const bool all_bytes = std::all_of(span.begin(), span.end(), [&](char c) { return byte_ids_[static_cast<uint8_t>(c)].has_value(); });
    if (all_bytes) {
      for (const char c : span) ids.push_back(*byte_ids_[static_cast<uint8_t>(c)]);
      return;
    }
  }
  ids.push_back(id);
}

void UnigramModel::Encode(std::string_view piece, std::vector<int32_t>& ids) const {
  if (piece.empty()) return;
  const std::vector<BestPath> best = Viterbi(piece);
  // Walk back from the end; consecutive unk edges fuse into one span.
  std::vector<std::pair<size_t, int32_t>> spans;  // (begin, id), from the end
  for (size_t end = piece.size(); end > 0;) {
    const BestPath& step = best[end];
    if (step.id < 0) return;  // unreachable: a character without entries and no unk (HF fails here)
    if (!(step.id == unk_id_ && !spans.empty() && spans.back().second == unk_id_)) spans.emplace_back(step.begin, step.id);
    spans.back().first = step.begin;
    end = step.begin;
  }
  size_t end = piece.size();
  std::vector<int32_t> reversed;
  for (const auto& [begin, id] : spans) {
    std::vector<int32_t> span_ids;
    EmitSpan(piece.substr(begin, end - begin), id, span_ids);
    reversed.insert(reversed.end(), span_ids.rbegin(), span_ids.rend());
    end = begin;
  }
  ids.insert(ids.end(), reversed.rbegin(), reversed.rend());
}

}  // namespace sgl::tokenizer
