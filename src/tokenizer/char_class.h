// Character classes the way HF tokenizers (Rust) defines them, for the BERT-style
// normalizer and pre-tokenizers: Rust's char::is_whitespace (the White_Space property),
// the unicode_categories crate's is_punctuation / is_other / is_mark_nonspacing, and
// BERT's CJK ideograph ranges. Pure functions over code points; thread-safe.
#pragma once

namespace sgl::tokenizer {

bool IsWhitespace(char32_t cp);
// General category P* (any punctuation), or ASCII punctuation such as '$' and '+',
// which Unicode files under symbols (BERT splits on both).
bool IsBertPunctuation(char32_t cp);
// General category Cc, Cf, Co or Cs.
bool IsOtherCategory(char32_t cp);
bool IsMarkNonspacing(char32_t cp);
// The CJK Unified Ideographs blocks BERT pads with spaces.
bool IsChineseChar(char32_t cp);

}  // namespace sgl::tokenizer
