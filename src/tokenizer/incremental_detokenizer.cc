#include "tokenizer/incremental_detokenizer.h"

#include <span>

#include "tokenizer/utf8.h"

namespace sgl {

IncrementalDetokenizer::IncrementalDetokenizer(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(tokenizer), skip_special_tokens_(skip_special_tokens) {}

bool IncrementalDetokenizer::Visible(int32_t id) const {
  return tokenizer_.HasToken(id) && !(skip_special_tokens_ && tokenizer_.IsSpecial(id));
}

bool IncrementalDetokenizer::Settled() const {
  // Only the last few bytes matter: a UTF-8 sequence is at most 4 bytes long.
  std::string tail;
  for (size_t i = ids_.size(); i > read_offset_ && tail.size() < 4; --i) {
    const int32_t id = ids_[i - 1];
    if (!Visible(id)) continue;
    // A run of byte-fallback tokens decodes as one group, which becomes one U+FFFD per
    // byte if it is not valid UTF-8 as a whole: its text is final only once it ends.
    if (tail.empty() && tokenizer_.IsByteFallbackToken(id)) return false;
    tail.insert(0, tokenizer_.TokenBytes(id));
  }
  return tokenizer::CompleteUtf8Prefix(tail) == tail.size();
}

std::string IncrementalDetokenizer::NewText() const {
  std::span<const int32_t> ids(ids_);
  const std::string prefix = tokenizer_.Decode(ids.subspan(prefix_offset_, read_offset_ - prefix_offset_),
                                               skip_special_tokens_);
  std::string full = tokenizer_.Decode(ids.subspan(prefix_offset_), skip_special_tokens_);
  // The window's text starts with the prefix's for the supported decoders; should one
  // ever rewrite it, give the whole window rather than cut inside it.
  if (full.compare(0, prefix.size(), prefix) != 0) return full;
  return full.substr(prefix.size());
}

std::string IncrementalDetokenizer::Append(int32_t id) {
  ids_.push_back(id);
  if (!Settled()) return {};
  std::string text = NewText();
  // The ids just settled become the next window's prefix, unless they show nothing.
  for (size_t i = read_offset_; i < ids_.size(); ++i) {
    if (Visible(ids_[i])) {
      prefix_offset_ = read_offset_;
      break;
    }
  }
  read_offset_ = ids_.size();
  return text;
}

std::string IncrementalDetokenizer::Finish() {
  if (read_offset_ == ids_.size()) return {};
  std::string text = NewText();
  read_offset_ = ids_.size();
  return text;
}

}  // namespace sgl
