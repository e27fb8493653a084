// The GPT-2 byte-level alphabet: every byte 0..255 is spelled as one printable Unicode
// character (printable ASCII and Latin-1 map to themselves, the rest to U+0100 onward),
// as HF tokenizers' ByteLevel pre-tokenizer and decoder do. Immutable; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sgl::tokenizer {

class ByteLevelAlphabet {
 public:
  static const ByteLevelAlphabet& Get();

  // The UTF-8 spelling of each byte of `bytes`, concatenated.
  std::string Spell(std::string_view bytes) const;
  // The byte a character stands for, or nullopt if it is not in the alphabet.
  std::optional<uint8_t> ByteOf(char32_t cp) const;

 private:
  ByteLevelAlphabet();
  std::array<char32_t, 256> char_of_byte_{};
  std::array<std::string, 256> spelling_of_byte_;
  std::array<int16_t, 256 + 68> byte_of_char_{};  // -1: not in the alphabet
};

}  // namespace sgl::tokenizer
