// TokenVocabulary: what the constrained decoder needs to know about a tokenizer: each
// token's bytes, which ids end a generation (EOS / stop tokens), which are special (never
// produced by a grammar), and a byte trie of the ordinary tokens in preorder, so a token's
// subtree is a contiguous range of `trie_tokens()`. Immutable; share it across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "constrain/byte_set.h"

namespace sgl {
class Tokenizer;
}

namespace sgl::constrain {

struct TrieNode {
  int32_t child_begin = 0, child_end = 0;  // children: trie_children()[begin, end)
  int32_t token_begin = 0;                 // tokens ending here: trie_tokens()[token_begin, own_end)
  int32_t own_end = 0;
  int32_t subtree_end = 0;                 // subtree's tokens: trie_tokens()[token_begin, subtree_end)
  uint8_t byte = 0;                        // the byte on the edge into this node
};

class TokenVocabulary {
 public:
  // `token_bytes[i]` is token i's bytes; `special` ids are left out of the trie.
  TokenVocabulary(std::vector<std::string> token_bytes, std::vector<int32_t> stop_ids,
                  std::vector<int32_t> special_ids);
  // Every id of `tokenizer`, its special tokens left out, EOS and `extra_stop_ids` (e.g.
  // the model's EOS ids) as stop tokens.
  static std::shared_ptr<const TokenVocabulary> FromTokenizer(const Tokenizer& tokenizer,
                                                              std::span<const int32_t> extra_stop_ids = {});

  int32_t vocab_size() const { return static_cast<int32_t>(token_bytes_.size()); }
  const std::string& token_bytes(int32_t id) const { return token_bytes_[id]; }
  std::span<const int32_t> stop_ids() const { return stop_ids_; }
  bool is_stop(int32_t id) const { return id >= 0 && id < vocab_size() && is_stop_[id]; }
  // Usable by a grammar: not special and has bytes.
  bool is_ordinary(int32_t id) const { return id >= 0 && id < vocab_size() && in_trie_[id]; }

  const std::vector<TrieNode>& trie() const { return nodes_; }
  const std::vector<int32_t>& trie_children() const { return children_; }
  const std::vector<int32_t>& trie_tokens() const { return tokens_; }
  // Every byte on an edge below `node` (what its subtree's tokens may still contain).
  const ByteSet& bytes_below(int32_t node) const { return bytes_below_[node]; }
  // The longest path below `node`, in bytes.
  int32_t depth_below(int32_t node) const { return depth_below_[node]; }
  // The ordinary tokens, longest first, and the longest one's length in bytes. The i-th
  // one's bytes are also kept packed in that order (a scan over them stays in cache), and
  // the first num_longer_than(n) of them are those longer than n bytes.
  std::span<const int32_t> ordinary_ids_longest_first() const { return by_length_; }
  std::string_view longest_first_bytes(size_t i) const {
    return std::string_view(packed_).substr(packed_begin_[i], packed_begin_[i + 1] - packed_begin_[i]);
  }
  int32_t num_longer_than(int64_t num_bytes) const {
    return num_bytes < 0 ? static_cast<int32_t>(by_length_.size())
           : num_bytes >= max_token_bytes() ? 0 : longer_than_[static_cast<size_t>(num_bytes)];
  }
  int32_t max_token_bytes() const { return by_length_.empty() ? 0 : token_size(by_length_.front()); }
  // The bytes that are an ordinary token by themselves: n of them can always be written
  // as n tokens (byte-level BPE has most; SmolLM2 lacks a few controls and non-UTF-8 bytes).
  const ByteSet& single_byte_tokens() const { return single_byte_tokens_; }

 private:
  void BuildTrie();
  void IndexLengths();
  int32_t token_size(int32_t id) const { return static_cast<int32_t>(token_bytes_[id].size()); }

  std::vector<std::string> token_bytes_;
  std::vector<int32_t> stop_ids_;
  std::vector<uint8_t> is_stop_, in_trie_;
  std::vector<TrieNode> nodes_;  // nodes_[0] is the root (empty prefix)
  std::vector<int32_t> children_;
  std::vector<int32_t> tokens_;
  std::vector<ByteSet> bytes_below_;
  std::vector<int32_t> depth_below_;
  std::vector<int32_t> by_length_;
  std::string packed_;                 // by_length_'s bytes, one after another
  std::vector<size_t> packed_begin_;   // where each starts, and the end
  std::vector<int32_t> longer_than_;   // [n]: how many are longer than n bytes
  ByteSet single_byte_tokens_;
};

}  // namespace sgl::constrain
