// GPT-2's bytes_to_unicode table, built from its rule.
#include "tokenizer/byte_level_alphabet.h"

#include "tokenizer/utf8.h"

namespace sgl::tokenizer {
namespace {
bool KeepsItsOwnCode(int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }
}  // namespace

const ByteLevelAlphabet& ByteLevelAlphabet::Get() {
  static const ByteLevelAlphabet alphabet;
  return alphabet;
}

ByteLevelAlphabet::ByteLevelAlphabet() {
  char32_t next = 256;
  byte_of_char_.fill(-1);
  for (int b = 0; b < 256; ++b) {
    char_of_byte_[b] = KeepsItsOwnCode(b) ? static_cast<char32_t>(b) : next++;
    AppendUtf8(char_of_byte_[b], spelling_of_byte_[b]);
    byte_of_char_[char_of_byte_[b]] = static_cast<int16_t>(b);
  }
}

std::string ByteLevelAlphabet::Spell(std::string_view bytes) const {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) out += spelling_of_byte_[static_cast<uint8_t>(c)];
  return out;
}

std::optional<uint8_t> ByteLevelAlphabet::ByteOf(char32_t cp) const {
  if (cp >= byte_of_char_.size() || byte_of_char_[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(byte_of_char_[cp]);
}

}  // namespace sgl::tokenizer
