#include "constrain/token_vocabulary.h"

#include <algorithm>
#include <numeric>

#include "tokenizer/tokenizer.h"

namespace sgl::constrain {

TokenVocabulary::TokenVocabulary(std::vector<std::string> token_bytes, std::vector<int32_t> stop_ids,
                                 std::vector<int32_t> special_ids)
    : token_bytes_(std::move(token_bytes)) {
  int32_t n = vocab_size();
  is_stop_.assign(n, 0);
  in_trie_.assign(n, 1);
  for (int32_t id : stop_ids) {
    if (id >= 0 && id < n && !is_stop_[id]) {
      is_stop_[id] = 1;
      stop_ids_.push_back(id);
    }
  }
  for (int32_t id : special_ids) {
    if (id >= 0 && id < n) in_trie_[id] = 0;
  }
  for (int32_t id = 0; id < n; ++id) {
    if (is_stop_[id] || token_bytes_[id].empty()) in_trie_[id] = 0;
  }
  BuildTrie();
  IndexLengths();
}

void TokenVocabulary::IndexLengths() {
  for (int32_t id = 0; id < vocab_size(); ++id) {
    if (!in_trie_[id]) continue;
    by_length_.push_back(id);
    if (token_bytes_[id].size() == 1) single_byte_tokens_.Add(static_cast<uint8_t>(token_bytes_[id][0]));
  }
  std::stable_sort(by_length_.begin(), by_length_.end(),
                   [this](int32_t x, int32_t y) { return token_size(x) > token_size(y); });
  for (int32_t id : by_length_) {
    packed_begin_.push_back(packed_.size());
    packed_ += token_bytes_[id];
  }
  packed_begin_.push_back(packed_.size());
  longer_than_.assign(static_cast<size_t>(max_token_bytes()) + 1, 0);
  for (int32_t id : by_length_) ++longer_than_[token_size(id) - 1];  // first: how many of each length - 1
  for (int32_t n = max_token_bytes() - 1; n >= 0; --n) longer_than_[n] += longer_than_[n + 1];
}

std::shared_ptr<const TokenVocabulary> TokenVocabulary::FromTokenizer(const Tokenizer& tokenizer,
                                                                      std::span<const int32_t> extra_stop_ids) {
  int32_t n = static_cast<int32_t>(tokenizer.vocab_size());
  std::vector<std::string> bytes(n);
  std::vector<int32_t> special, stop;
  for (int32_t id = 0; id < n; ++id) {
    bytes[id] = tokenizer.TokenBytes(id);
    if (tokenizer.IsSpecial(id)) special.push_back(id);
  }
  if (tokenizer.eos_id()) stop.push_back(*tokenizer.eos_id());
  stop.insert(stop.end(), extra_stop_ids.begin(), extra_stop_ids.end());  // the constructor drops repeats
  return std::make_shared<TokenVocabulary>(std::move(bytes), std::move(stop), std::move(special));
}

// Sorting the tokens by bytes makes each trie subtree a contiguous run, so the trie is
// built in one pass in preorder, with token ranges read straight off the sorted order.
void TokenVocabulary::BuildTrie() {
  std::vector<int32_t> order;
  for (int32_t id = 0; id < vocab_size(); ++id) {
    if (in_trie_[id]) order.push_back(id);
  }
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return token_bytes_[a] != token_bytes_[b] ? token_bytes_[a] < token_bytes_[b] : a < b;
  });
  tokens_ = order;
  nodes_.clear();
  children_.clear();
  // Recursive over [begin, end) of `order` sharing the first `depth` bytes.
  struct Frame { int32_t node, begin, end, depth; };
  std::vector<std::vector<int32_t>> kids;
  auto make = [&](int32_t begin, int32_t end, int32_t depth, uint8_t byte) {
    TrieNode n;
    n.byte = byte;
    n.token_begin = begin;
    int32_t own = begin;
    while (own < end && static_cast<int32_t>(token_bytes_[order[own]].size()) == depth) ++own;
    n.own_end = own;
    n.subtree_end = end;
    nodes_.push_back(n);
    kids.emplace_back();
    return static_cast<int32_t>(nodes_.size()) - 1;
  };
  std::vector<Frame> stack{{make(0, static_cast<int32_t>(order.size()), 0, 0), 0, static_cast<int32_t>(order.size()), 0}};
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    int32_t i = nodes_[f.node].own_end;
    std::vector<Frame> children;
    while (i < f.end) {
      auto b = static_cast<uint8_t>(token_bytes_[order[i]][f.depth]);
      int32_t j = i;
      while (j < f.end && static_cast<uint8_t>(token_bytes_[order[j]][f.depth]) == b) ++j;
      int32_t child = make(i, j, f.depth + 1, b);
      kids[f.node].push_back(child);
      children.push_back({child, i, j, f.depth + 1});
      i = j;
    }
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(*it);
  }
  for (size_t n = 0; n < nodes_.size(); ++n) {
    nodes_[n].child_begin = static_cast<int32_t>(children_.size());
    children_.insert(children_.end(), kids[n].begin(), kids[n].end());
    nodes_[n].child_end = static_cast<int32_t>(children_.size());
  }
  // Children are created after their parent, so a reverse sweep sees them first.
  bytes_below_.assign(nodes_.size(), ByteSet());
  depth_below_.assign(nodes_.size(), 0);
  for (size_t n = nodes_.size(); n-- > 0;) {
    for (int32_t c : kids[n]) {
      bytes_below_[n].Add(nodes_[c].byte);
      bytes_below_[n].Union(bytes_below_[c]);
      depth_below_[n] = std::max(depth_below_[n], depth_below_[c] + 1);
    }
  }
}

}  // namespace sgl::constrain
