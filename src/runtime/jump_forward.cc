#include "runtime/jump_forward.h"

#include "tokenizer/utf8.h"

namespace sgl {
namespace {

size_t SpelledSize(const constrain::GrammarMatcher& matcher, const std::vector<int32_t>& tokens) {
  size_t n = 0;
  for (int32_t id : tokens) n += matcher.grammar().vocab().token_bytes(id).size();
  return n;
}

}  // namespace

std::vector<int32_t> JumpForward::TokensBeforeLast(const constrain::GrammarMatcher& matcher,
                                                   const std::string& bytes) const {
  const constrain::TokenVocabulary& vocab = matcher.grammar().vocab();
  std::vector<int32_t> ids = tokenizer_.Encode(bytes, /*add_special_tokens=*/false);
  std::string spelled;
  for (int32_t id : ids) {
    if (!vocab.is_ordinary(id)) return {};
    spelled += vocab.token_bytes(id);
  }
  if (spelled != bytes || ids.empty()) return {};
  ids.pop_back();
  return ids;
}

bool JumpForward::AcceptAll(constrain::GrammarMatcher& matcher, const std::vector<int32_t>& tokens) {
  int32_t accepted = 0;
  for (int32_t id : tokens) {
    if (!matcher.AcceptToken(id)) break;
    ++accepted;
  }
  if (accepted == static_cast<int32_t>(tokens.size())) return true;
  (void)matcher.Rollback(accepted);
  return false;
}

bool JumpForward::Replace(constrain::GrammarMatcher& matcher, int32_t sampled, const std::vector<int32_t>& tokens) {
  if (!matcher.Rollback(1).ok()) return false;
  if (AcceptAll(matcher, tokens)) return true;
  (void)matcher.AcceptToken(sampled);  // accepted from this very state before
  return false;
}

std::string JumpForward::ForcedText(constrain::GrammarMatcher& matcher, const std::string& prefix) const {
  const std::string forced = matcher.FindJumpForwardString(max_forced_bytes_);
  if (forced.empty()) return {};
  std::string text = prefix + forced;
  // A character cut by the byte limit or by a free choice would not round-trip.
  text.resize(tokenizer::CompleteUtf8Prefix(text));
  return text;
}

std::vector<int32_t> JumpForward::AtStart(constrain::GrammarMatcher& matcher, int64_t max_tokens) const {
  if (max_tokens < 1 || matcher.IsTerminated()) return {};
  std::vector<int32_t> tokens = TokensBeforeLast(matcher, ForcedText(matcher, ""));
  if (static_cast<int64_t>(tokens.size()) > max_tokens) tokens.resize(static_cast<size_t>(max_tokens));
  if (tokens.empty() || !AcceptAll(matcher, tokens)) return {};
  return tokens;
}

std::vector<int32_t> JumpForward::Extend(constrain::GrammarMatcher& matcher, int32_t sampled,
                                         int64_t max_tokens) const {
  if (max_tokens < 2 || matcher.IsTerminated() || !matcher.grammar().vocab().is_ordinary(sampled)) return {sampled};
  const std::string& sampled_bytes = matcher.grammar().vocab().token_bytes(sampled);
  const std::string text = ForcedText(matcher, sampled_bytes);
  if (text.empty()) return {sampled};

  // Preferred: sampled's bytes and the forced ones tokenized together, as the tokenizer
  // would have split the whole text. When that split crosses sampled's end without
  // covering it, keep sampled and tokenize only the forced bytes after it.
  std::vector<int32_t> tokens = TokensBeforeLast(matcher, text);
  if (SpelledSize(matcher, tokens) < sampled_bytes.size()) {
    tokens = {sampled};
    if (text.size() > sampled_bytes.size()) {
      const std::vector<int32_t> rest = TokensBeforeLast(matcher, text.substr(sampled_bytes.size()));
      tokens.insert(tokens.end(), rest.begin(), rest.end());
    }
  }
  if (static_cast<int64_t>(tokens.size()) > max_tokens) tokens.resize(static_cast<size_t>(max_tokens));
  // No byte beyond sampled's gains nothing, and then nothing changes.
  if (SpelledSize(matcher, tokens) <= sampled_bytes.size() || !Replace(matcher, sampled, tokens)) return {sampled};
  return tokens;
}

}  // namespace sgl
