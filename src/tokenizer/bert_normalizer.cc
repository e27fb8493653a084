// One pass for clean_text and the CJK padding, then the Unicode rewrites.
#include "tokenizer/bert_normalizer.h"

#include <nlohmann/json.hpp>

#include "tokenizer/char_class.h"
#include "tokenizer/unicode_transforms.h"
#include "tokenizer/utf8.h"

namespace sgl::tokenizer {
namespace {

bool ReadBool(const nlohmann::json& config, const char* key, bool fallback) {
  if (!config.contains(key) || !config.at(key).is_boolean()) return fallback;
  return config.at(key).get<bool>();
}

}  // namespace

BertNormalizerOptions BertNormalizer::ParseOptions(const nlohmann::json& config) {
  BertNormalizerOptions options;
  options.clean_text = ReadBool(config, "clean_text", true);
  options.handle_chinese_chars = ReadBool(config, "handle_chinese_chars", true);
  options.lowercase = ReadBool(config, "lowercase", true);
  options.strip_accents = ReadBool(config, "strip_accents", options.lowercase);
  return options;
}

std::string BertNormalizer::Normalize(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const CodePoint cp = DecodeUtf8(text, pos);
    const std::string_view bytes = text.substr(pos, cp.len);
    pos += cp.len;
    if (options_.clean_text) {
      // Controls go first, so U+0085 (a Cc that is also White_Space) is dropped.
      const bool tab_or_newline = cp.value == '\t' || cp.value == '\n' || cp.value == '\r';
      if (cp.value == 0 || cp.value == 0xFFFD || (IsOtherCategory(cp.value) && !tab_or_newline)) continue;
      if (tab_or_newline || IsWhitespace(cp.value)) {
        out += ' ';
        continue;
      }
    }
    if (options_.handle_chinese_chars && IsChineseChar(cp.value)) {
      out += ' ';
      out += bytes;
      out += ' ';
      continue;
    }
    out += bytes;
  }
  if (options_.strip_accents) out = RemoveNonspacingMarks(NormalizeUnicode(out, UnicodeForm::kNfd));
  if (options_.lowercase) out = LowercaseChars(out);
  return out;
}

}  // namespace sgl::tokenizer
