// UTF-8 helpers shared by the tokenizer components: decoding one code point, encoding
// one, and lossy conversion of arbitrary bytes (invalid sequences become U+FFFD the way
// Rust's String::from_utf8_lossy does, which is what HF tokenizers' decoders use).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sgl::tokenizer {

// Length in bytes of the code point starting at text[pos], and its value; invalid or
// truncated sequences decode as one byte of value 0xFFFD.
struct CodePoint {
  char32_t value;
  size_t len;
};
CodePoint DecodeUtf8(std::string_view text, size_t pos);

void AppendUtf8(char32_t cp, std::string& out);

// Bytes -> valid UTF-8; each maximal invalid subsequence becomes U+FFFD.
std::string Utf8Lossy(std::string_view bytes);

// Number of leading bytes of `bytes` that form complete UTF-8 sequences; a trailing
// incomplete (but so far valid) sequence is excluded so a streamer can hold it back.
size_t CompleteUtf8Prefix(std::string_view bytes);

}  // namespace sgl::tokenizer
