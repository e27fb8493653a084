// Leftmost-longest matching of added tokens with a byte trie.
#include "tokenizer/added_vocabulary.h"

#include <utf8proc.h>

#include "tokenizer/utf8.h"

namespace sgl::tokenizer {
namespace {

bool IsWordChar(char32_t cp) {
  if (cp == '_') return true;
  const auto c = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
         (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

bool IsWhitespace(char32_t cp) {
  if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85) return true;
  const auto c = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

// Start of the code point that ends at `end` (exclusive).
size_t PrevCharStart(std::string_view text, size_t end) {
  size_t pos = end - 1;
  while (pos > 0 && (static_cast<uint8_t>(text[pos]) & 0xC0) == 0x80) --pos;
  return pos;
}

}  // namespace

void AddedVocabulary::Trie::Insert(std::string_view key, int32_t token_index) {
  if (key.empty()) return;
  int32_t node = 0;
  for (const char c : key) {
    const uint8_t b = static_cast<uint8_t>(c);
    auto it = nodes[node].children.find(b);
    if (it == nodes[node].children.end()) {
      nodes.push_back(Node{});
      it = nodes[node].children.emplace(b, static_cast<int32_t>(nodes.size() - 1)).first;
    }
    node = it->second;
  }
  if (nodes[node].terminal < 0) nodes[node].terminal = token_index;
}

std::vector<TextSegment> AddedVocabulary::Split(std::string_view text, bool normalized_tokens) const {
  return SplitWith(normalized_tokens ? normalized_trie_ : raw_trie_, text);
}

std::vector<TextSegment> AddedVocabulary::SplitWith(const Trie& trie, std::string_view text) const {
  std::vector<TextSegment> segments;
  if (trie.empty()) {
    if (!text.empty()) segments.push_back({text, std::nullopt});
    return segments;
  }
  size_t emitted = 0;  // text before this offset is already in segments
  size_t pos = 0;
  while (pos < text.size()) {
    // Longest token starting at pos.
    int32_t node = 0, best = -1;
    size_t best_end = 0;
    for (size_t i = pos; i < text.size(); ++i) {
      const auto it = trie.nodes[node].children.find(static_cast<uint8_t>(text[i]));
      if (it == trie.nodes[node].children.end()) break;
      node = it->second;
      if (trie.nodes[node].terminal >= 0) {
        best = trie.nodes[node].terminal;
        best_end = i + 1;
      }
    }
    if (best < 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[best];
    size_t start = pos, stop = best_end;
    if (token.single_word) {
      const bool word_before = start > 0 && IsWordChar(DecodeUtf8(text, PrevCharStart(text, start)).value);
      const bool word_after = stop < text.size() && IsWordChar(DecodeUtf8(text, stop).value);
      if (word_before || word_after) {
        pos = best_end;  // the match is consumed without becoming a token
        continue;
      }
    }
    if (token.lstrip) {
      while (start > emitted) {
        const size_t prev = PrevCharStart(text, start);
        if (!IsWhitespace(DecodeUtf8(text, prev).value)) break;
        start = prev;
      }
    }
    if (token.rstrip) {
      while (stop < text.size()) {
        const CodePoint cp = DecodeUtf8(text, stop);
        if (!IsWhitespace(cp.value)) break;
        stop += cp.len;
      }
    }
    if (start > emitted) segments.push_back({text.substr(emitted, start - emitted), std::nullopt});
    segments.push_back({text.substr(start, stop - start), token.id});
    emitted = stop;
    pos = stop;
  }
  if (emitted < text.size()) segments.push_back({text.substr(emitted), std::nullopt});
  return segments;
}

const AddedToken* AddedVocabulary::FindById(int32_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

const std::string* AddedVocabulary::SurfaceById(int32_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &surfaces_[it->second];
}

}  // namespace sgl::tokenizer
