// PreTokenizer: cuts normalized text into pieces that the model encodes independently
// (HF tokenizers' second stage). Built from tokenizer.json's "pre_tokenizer" object;
// supported types: ByteLevel, Split, Digits, Metaspace, Whitespace, WhitespaceSplit,
// Punctuation, BertPreTokenizer, CharDelimiterSplit, Sequence. Immutable; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace sgl::tokenizer {

// One piece of text; `at_start` is true when it begins at offset 0 of the encoded text
// (Metaspace's prepend_scheme "first" needs it).
struct PreToken {
  std::string text;
  bool at_start = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces each piece by its sub-pieces (empty pieces are dropped).
  virtual void PreTokenize(std::vector<PreToken>& pieces) const = 0;

  // null JSON => nullptr (the whole piece goes to the model). Unknown types =>
  // Unsupported naming them.
  static Result<std::unique_ptr<PreTokenizer>> FromJson(const nlohmann::json& config);
};

}  // namespace sgl::tokenizer
