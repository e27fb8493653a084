// BertNormalizer: HF tokenizers' BERT normalizer, in its order: clean_text (drop NUL,
// U+FFFD and control/format characters, turn whitespace into ' '), handle_chinese_chars
// (pad CJK ideographs with spaces), strip_accents (NFD, then drop nonspacing marks;
// follows lowercase when unset), lowercase. Immutable; thread-safe.
#pragma once

#include "tokenizer/normalizer.h"

namespace sgl::tokenizer {

struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool strip_accents = true;
  bool lowercase = true;
};

class BertNormalizer final : public Normalizer {
 public:
  explicit BertNormalizer(BertNormalizerOptions options) : options_(options) {}
  // tokenizer.json's {"type": "BertNormalizer", ...}; a null strip_accents follows lowercase.
  static BertNormalizerOptions ParseOptions(const nlohmann::json& config);

  std::string Normalize(std::string_view text) const override;

 private:
  BertNormalizerOptions options_;
};

}  // namespace sgl::tokenizer
