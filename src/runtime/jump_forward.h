// JumpForward: the text a constrained request's grammar forces next
// (GrammarMatcher::FindJumpForwardString) appended as tokens without a model step per
// token (SGLang's jump-forward decoding): after a sampled token (Extend), and before the
// first one where the grammar forces its start (AtStart). Only the just-sampled token is
// retokenized with the forced bytes: it is not computed, streamed or cached yet, so no KV
// slot or streamed text ever has to be taken back. Immutable after construction; borrows the
// tokenizer. Extend mutates only the matcher it is given (the caller's thread).
#pragma once

#include <cstdint>
#include <vector>

#include "constrain/grammar_matcher.h"
#include "tokenizer/tokenizer.h"

namespace sgl {

class JumpForward {
 public:
  // REQUIRES: `tokenizer` outlives this object and is the one the grammar's vocabulary
  // was built from. `max_forced_bytes` bounds the forced text taken per step.
  explicit JumpForward(const Tokenizer& tokenizer, size_t max_forced_bytes = 256)
      : tokenizer_(tokenizer), max_forced_bytes_(max_forced_bytes) {}

  // REQUIRES: `matcher`'s last step accepted token `sampled`. Returns the tokens that
  // replace `sampled` in the output, at most `max_tokens` (>= 1): the tokenization of
  // sampled's bytes followed by the forced bytes, without its last token (which might
  // merge with what the model writes next). The bytes of the result start with
  // sampled's bytes, and `matcher` ends after them. Returns {sampled} (matcher
  // unchanged) when nothing is forced or the retokenization would not gain a token.
  std::vector<int32_t> Extend(constrain::GrammarMatcher& matcher, int32_t sampled, int64_t max_tokens) const;

  // REQUIRES: `matcher` has accepted nothing yet (a request with no output). Returns the
  // bytes the grammar forces from its start as tokens, at most `max_tokens`: the forced
  // bytes tokenized on their own (they are output, never merged with the prompt) without
  // their last token (it might merge with what the model writes next); `matcher` ends
  // after them. Empty (matcher unchanged) when nothing is forced or no whole token is.
  std::vector<int32_t> AtStart(constrain::GrammarMatcher& matcher, int64_t max_tokens) const;

 private:
  // `bytes` as tokens without the last one; empty unless every token is ordinary and
  // they spell exactly `bytes` (the tokenizer may normalize or replace invalid UTF-8).
  std::vector<int32_t> TokensBeforeLast(const constrain::GrammarMatcher& matcher, const std::string& bytes) const;
  // The matcher's last step (`sampled`) replaced by `tokens`; false (matcher as before)
  // when the grammar refuses one of them.
  static bool Replace(constrain::GrammarMatcher& matcher, int32_t sampled, const std::vector<int32_t>& tokens);
  // Accepts every one of `tokens`; false (matcher as before) when the grammar refuses one.
  static bool AcceptAll(constrain::GrammarMatcher& matcher, const std::vector<int32_t>& tokens);
  // The forced text from `matcher`'s state, cut to whole UTF-8 characters after `prefix`.
  std::string ForcedText(constrain::GrammarMatcher& matcher, const std::string& prefix) const;

  const Tokenizer& tokenizer_;
  size_t max_forced_bytes_;
};

}  // namespace sgl
