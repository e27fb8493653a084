// AddedVocabulary: tokenizer.json's "added_tokens" (special or not), matched in the text
// before the model runs. Tokens with normalized=false are matched in the raw text, the
// others in each remaining piece after normalization (their content normalized too).
// Matching is leftmost-longest, honouring single_word, lstrip and rstrip as HF
// tokenizers does. Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sgl::tokenizer {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

// A span of text: either an added token (id set) or text for the model.
struct TextSegment {
  std::string_view text;
  std::optional<int32_t> id;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalize` maps the content of normalized tokens to what they match (identity
  // when there is no normalizer).
  template <typename NormalizeFn>
  AddedVocabulary(std::vector<AddedToken> tokens, NormalizeFn normalize) : tokens_(std::move(tokens)) {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      by_id_[tokens_[i].id] = i;
      surfaces_.push_back(tokens_[i].normalized ? normalize(tokens_[i].content) : tokens_[i].content);
      (tokens_[i].normalized ? normalized_trie_ : raw_trie_).Insert(surfaces_.back(), static_cast<int32_t>(i));
    }
  }

  // Cuts `text` at the tokens of one kind (raw: normalized=false; else normalized=true).
  std::vector<TextSegment> Split(std::string_view text, bool normalized_tokens) const;

  const AddedToken* FindById(int32_t id) const;
  // The text an added token matches, which is also what it decodes to: its content,
  // normalized when the token is (as HF tokenizers' id_to_token returns). nullptr if
  // id is not an added token.
  const std::string* SurfaceById(int32_t id) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // Byte trie; `terminal` is the index into tokens_ of the token ending at a node.
  struct Trie {
    struct Node {
      std::unordered_map<uint8_t, int32_t> children;
      int32_t terminal = -1;
    };
    std::vector<Node> nodes{Node{}};
    void Insert(std::string_view key, int32_t token_index);
    bool empty() const { return nodes.size() == 1; }
  };
  std::vector<TextSegment> SplitWith(const Trie& trie, std::string_view text) const;

  std::vector<AddedToken> tokens_;
  std::vector<std::string> surfaces_;
  std::unordered_map<int32_t, size_t> by_id_;
  Trie raw_trie_, normalized_trie_;
};

}  // namespace sgl::tokenizer
