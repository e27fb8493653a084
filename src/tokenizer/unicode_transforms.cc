// utf8proc does the normalization and case tables.
#include "tokenizer/unicode_transforms.h"

#include <utf8proc.h>

#include <cstdlib>

#include "tokenizer/char_class.h"
#include "tokenizer/utf8.h"

namespace sgl::tokenizer {

std::string NormalizeUnicode(std::string_view text, UnicodeForm form) {
  if (text.empty()) return {};
  int options = UTF8PROC_STABLE;
  options |= (form == UnicodeForm::kNfc || form == UnicodeForm::kNfkc) ? UTF8PROC_COMPOSE : UTF8PROC_DECOMPOSE;
  if (form == UnicodeForm::kNfkc || form == UnicodeForm::kNfkd) options |= UTF8PROC_COMPAT;
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                          static_cast<utf8proc_ssize_t>(text.size()), &out,
                                          static_cast<utf8proc_option_t>(options));
  if (n < 0) return std::string(text);  // unreachable for valid UTF-8
  std::string result(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
  std::free(out);
  return result;
}

std::string LowercaseChars(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const CodePoint cp = DecodeUtf8(text, pos);
    if (cp.value == 0x130) {  // the one code point whose lowercase is two
      out += "i\xCC\x87";
    } else if (cp.value < 0x80) {
      out += static_cast<char>(cp.value >= 'A' && cp.value <= 'Z' ? cp.value + 32 : cp.value);
    } else {
      AppendUtf8(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp.value))), out);
    }
    pos += cp.len;
  }
  return out;
}

std::string RemoveNonspacingMarks(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const CodePoint cp = DecodeUtf8(text, pos);
    if (!IsMarkNonspacing(cp.value)) out.append(text.substr(pos, cp.len));
    pos += cp.len;
  }
  return out;
}

}  // namespace sgl::tokenizer
