// Whole-string Unicode rewrites shared by the normalizers: the four normalization forms
// (utf8proc), per-character lowercasing as Rust's char::to_lowercase does, and removal
// of nonspacing marks. REQUIRES valid UTF-8; return valid UTF-8. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace sgl::tokenizer {

enum class UnicodeForm { kNfc, kNfd, kNfkc, kNfkd };

std::string NormalizeUnicode(std::string_view text, UnicodeForm form);
// Character by character (no final-sigma rule), İ -> "i̇" like Rust.
std::string LowercaseChars(std::string_view text);
std::string RemoveNonspacingMarks(std::string_view text);

}  // namespace sgl::tokenizer
