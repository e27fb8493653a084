// PrecompiledNormalizer: HF tokenizers' "Precompiled" normalizer, SentencePiece's
// compiled normalization rules (T5, ALBERT, XLM-R, mBART). The charsmap is a darts
// double-array trie over UTF-8 keys plus a blob of NUL-terminated replacements. Text is
// rewritten one extended grapheme cluster at a time (clusters under 6 bytes are looked
// up whole first), else one code point at a time, exactly as HF does. Immutable;
// thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/normalizer.h"

namespace sgl::tokenizer {

class PrecompiledNormalizer final : public Normalizer {
 public:
  // `charsmap`: the decoded bytes (tokenizer.json stores them base64-encoded).
  // Returns an error when the trie or the blob is malformed.
  static Result<std::unique_ptr<PrecompiledNormalizer>> FromCharsmap(std::string_view charsmap);
  static Result<std::unique_ptr<PrecompiledNormalizer>> FromBase64(std::string_view base64);

  std::string Normalize(std::string_view text) const override;

 private:
  PrecompiledNormalizer() = default;
  // The replacement for the shortest key that prefixes `chunk`, if any.
  const char* Transform(std::string_view chunk, size_t& len) const;

  std::vector<uint32_t> trie_;
  std::string replacements_;
};

}  // namespace sgl::tokenizer
