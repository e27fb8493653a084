// Normalizer: the first stage of HF tokenizers' pipeline, rewriting a piece of text
// before pre-tokenization. Built from tokenizer.json's "normalizer" object; supported
// types: NFC, NFD, NFKC, NFKD (utf8proc), Lowercase, Strip, StripAccents, Replace,
// Prepend, BertNormalizer, Precompiled (SentencePiece), Sequence. Immutable; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace sgl::tokenizer {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // REQUIRES: text is valid UTF-8. Returns valid UTF-8.
  virtual std::string Normalize(std::string_view text) const = 0;

  // null JSON => nullptr (no normalization). Unknown types => Unsupported naming them.
  static Result<std::unique_ptr<Normalizer>> FromJson(const nlohmann::json& config);
};

}  // namespace sgl::tokenizer
