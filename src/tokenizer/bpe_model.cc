// BPE merging over a doubly linked list of symbols with a min-heap of candidate pairs,
// as HF tokenizers' Word::merge_all does (stale heap entries are skipped on pop).
#include "tokenizer/bpe_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <queue>

#include "tokenizer/json_int.h"
#include "tokenizer/utf8.h"

namespace sgl::tokenizer {
namespace {

// Ids beyond this are not a vocabulary but a corrupt file (and would allocate wildly).
constexpr int32_t kMaxVocabId = int32_t{1} << 24;

uint64_t PairKey(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

size_t CountCodePoints(std::string_view text) {
  size_t n = 0;
  for (const char c : text) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

Result<BpeOptions> ParseOptions(const nlohmann::json& config) {
  BpeOptions options;
  if (config.contains("dropout") && !config.at("dropout").is_null()) {
    return Unsupported("BPE dropout is not supported (tokenization would not be deterministic)");
  }
  if (config.contains("unk_token") && config.at("unk_token").is_string()) {
    options.unk_token = config.at("unk_token").get<std::string>();
  }
  if (config.contains("continuing_subword_prefix") && config.at("continuing_subword_prefix").is_string()) {
    options.continuing_subword_prefix = config.at("continuing_subword_prefix").get<std::string>();
  }
  if (config.contains("end_of_word_suffix") && config.at("end_of_word_suffix").is_string()) {
    options.end_of_word_suffix = config.at("end_of_word_suffix").get<std::string>();
  }
  options.byte_fallback = config.value("byte_fallback", false);
  options.fuse_unk = config.value("fuse_unk", false);
  options.ignore_merges = config.value("ignore_merges", false);
  return options;
}

}  // namespace

Status BpeModel::SetVocab(const std::vector<std::pair<std::string, int32_t>>& vocab) {
  int32_t max_id = -1;
  for (const auto& [token, id] : vocab) {
    if (id < 0 || id >= kMaxVocabId) return InvalidArgument("BPE vocab: token '{}' has id {} out of range", token, id);
    max_id = std::max(max_id, id);
  }
  id_to_token_.assign(static_cast<size_t>(max_id + 1), std::string());
  has_token_.assign(static_cast<size_t>(max_id + 1), false);
  token_to_id_.reserve(vocab.size());
  for (const auto& [token, id] : vocab) {
    token_to_id_.emplace(token, id);
    id_to_token_[id] = token;
    has_token_[id] = true;
  }
  if (options_.unk_token) {
    unk_id_ = TokenToId(*options_.unk_token);
    if (!unk_id_) return InvalidArgument("BPE unk_token '{}' is not in the vocabulary", *options_.unk_token);
  }
  if (options_.byte_fallback) {
    byte_ids_.resize(256);
    for (int b = 0; b < 256; ++b) byte_ids_[b] = TokenToId(fmt::format("<0x{:02X}>", b));
  }
  return Status::Ok();
}

Status BpeModel::AddMerge(const std::string& left, const std::string& right, int64_t rank) {
  // The right part carries the continuing-subword prefix, which the merged token has
  // only once (HF drops the prefix's length from the right part).
  const size_t prefix_len = std::min(options_.continuing_subword_prefix.size(), right.size());
  const auto left_id = TokenToId(left), right_id = TokenToId(right);
  const auto new_id = TokenToId(left + right.substr(prefix_len));
  if (!left_id || !right_id || !new_id) {
    return InvalidArgument("BPE merge '{} {}' uses a token missing from the vocabulary", left, right);
  }
  merges_.emplace(PairKey(*left_id, *right_id), Merge{rank, *new_id});
  return Status::Ok();
}

Result<std::unique_ptr<BpeModel>> BpeModel::FromJson(const nlohmann::json& config) {
  auto options = ParseOptions(config);
  if (!options.ok()) return options.status();
  std::unique_ptr<BpeModel> model(new BpeModel());
  model->options_ = *options;
  std::vector<std::pair<std::string, int32_t>> vocab;
  for (const auto& [token, id] : config.at("vocab").items()) {
    auto value = ReadInt(id, 0, kMaxVocabId - 1, "BPE vocab id of '" + token + "'");
    if (!value.ok()) return value.status();
    vocab.emplace_back(token, static_cast<int32_t>(*value));
  }
  if (Status s = model->SetVocab(vocab); !s.ok()) return s;
  int64_t rank = 0;
  for (const auto& merge : config.at("merges")) {
    std::string left, right;
    if (merge.is_string()) {
      const std::string text = merge.get<std::string>();
      const size_t space = text.find(' ', 1);
      if (space == std::string::npos) return InvalidArgument("BPE merge '{}' is not 'left right'", text);
      left = text.substr(0, space);
      right = text.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2) {
      left = merge[0].get<std::string>();
      right = merge[1].get<std::string>();
    } else {
      return InvalidArgument("BPE merge {} is neither 'a b' nor [\"a\", \"b\"]", merge.dump());
    }
    if (Status st = model->AddMerge(left, right, rank++); !st.ok()) return st;
  }
  return model;
}

Result<std::unique_ptr<BpeModel>> BpeModel::FromMerges(const std::vector<std::string>& tokens,
                                                       const std::vector<std::pair<std::string, std::string>>& merges,
                                                       BpeOptions options) {
  std::unique_ptr<BpeModel> model(new BpeModel());
  model->options_ = std::move(options);
  std::vector<std::pair<std::string, int32_t>> vocab;
  for (size_t id = 0; id < tokens.size(); ++id) vocab.emplace_back(tokens[id], static_cast<int32_t>(id));
  if (Status s = model->SetVocab(vocab); !s.ok()) return s;
  int64_t rank = 0;
  for (const auto& [left, right] : merges) {
    if (Status st = model->AddMerge(left, right, rank++); !st.ok()) return st;
  }
  return model;
}

Result<std::unique_ptr<BpeModel>> BpeModel::FromPriorities(const std::vector<std::string>& tokens,
                                                           std::vector<int64_t> priority, BpeOptions options) {
  if (priority.size() != tokens.size()) return InvalidArgument("BPE: {} priorities for {} tokens", priority.size(), tokens.size());
  std::unique_ptr<BpeModel> model(new BpeModel());
  model->options_ = std::move(options);
  std::vector<std::pair<std::string, int32_t>> vocab;
  for (size_t id = 0; id < tokens.size(); ++id) vocab.emplace_back(tokens[id], static_cast<int32_t>(id));
  if (Status s = model->SetVocab(vocab); !s.ok()) return s;
  model->priority_ = std::move(priority);
  return model;
}

std::optional<int32_t> BpeModel::TokenToId(std::string_view token) const {
  const auto it = token_to_id_.find(token);
  if (it == token_to_id_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::IdToToken(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size() || !has_token_[id]) return nullptr;
  return &id_to_token_[id];
}

std::optional<BpeModel::Merge> BpeModel::FindMerge(int32_t left, int32_t right) const {
  if (priority_.empty()) {
    const auto it = merges_.find(PairKey(left, right));
    if (it == merges_.end()) return std::nullopt;
    return it->second;
  }
  const std::string& left_text = id_to_token_[left];
  const auto merged = TokenToId(left_text + id_to_token_[right]);
  if (!merged) return std::nullopt;
  // Among splits of one token, a longer left part ranks first (as transformers orders
  // merges it derives from a SentencePiece vocabulary).
  const int64_t left_len = static_cast<int64_t>(std::min<size_t>(CountCodePoints(left_text), 1023));
  return Merge{priority_[*merged] * 1024 + (1023 - left_len), *merged};
}

void BpeModel::Encode(std::string_view piece, std::vector<int32_t>& ids) const {
  if (piece.empty()) return;
  if (options_.ignore_merges) {
    if (const auto id = TokenToId(piece)) {
      ids.push_back(*id);
      return;
    }
  }
  struct Symbol {
    int32_t id;
    int32_t prev, next;
    bool alive;
  };
  std::vector<Symbol> symbols;
  std::optional<int32_t> pending_unk;
  auto add = [&](int32_t id) {
    const int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, true});
  };
  for (size_t pos = 0; pos < piece.size();) {
    const size_t len = DecodeUtf8(piece, pos).len;
    const bool is_first = pos == 0, is_last = pos + len == piece.size();
    std::string text(piece.substr(pos, len));
    if (!is_first) text = options_.continuing_subword_prefix + text;
    if (is_last) text += options_.end_of_word_suffix;
    pos += len;
    if (const auto id = TokenToId(text)) {
      if (pending_unk) add(*pending_unk);
      pending_unk.reset();
      add(*id);
      continue;
    }
    if (options_.byte_fallback) {
      const bool all_known = std::all_of(text.begin(), text.end(), [&](char c) { return byte_ids_[static_cast<uint8_t>(c)].has_value(); });
      if (all_known) {
        if (pending_unk) add(*pending_unk);  // HF keeps a pending unk until the next known char
        pending_unk.reset();
        for (const char c : text) add(*byte_ids_[static_cast<uint8_t>(c)]);
        continue;
      }
    }
    if (unk_id_) {
      if (pending_unk && !options_.fuse_unk) add(*pending_unk);
      pending_unk = *unk_id_;
    }
  }
  if (pending_unk) add(*pending_unk);
  if (symbols.empty()) return;
  symbols.back().next = -1;

  struct Candidate {
    int64_t rank;
    int32_t pos;
    int32_t new_id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (const auto merge = FindMerge(symbols[i].id, symbols[i + 1].id)) {
      queue.push({merge->rank, static_cast<int32_t>(i), merge->new_id});
    }
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& current = symbols[top.pos];
    if (!current.alive || current.next < 0) continue;
    Symbol& right = symbols[current.next];
    const auto merge = FindMerge(current.id, right.id);
    if (!merge || merge->new_id != top.new_id) continue;
    current.id = top.new_id;
    right.alive = false;
    current.next = right.next;
    if (current.next >= 0) symbols[current.next].prev = top.pos;
    if (current.prev >= 0) {
      if (const auto m = FindMerge(symbols[current.prev].id, current.id)) queue.push({m->rank, current.prev, m->new_id});
    }
    if (current.next >= 0) {
      if (const auto m = FindMerge(current.id, symbols[current.next].id)) queue.push({m->rank, top.pos, m->new_id});
    }
  }
  for (const Symbol& s : symbols)
    if (s.alive) ids.push_back(s.id);
}

}  // namespace sgl::tokenizer
