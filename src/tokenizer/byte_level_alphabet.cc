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
  for (int b = 0; b < 256; ++b) {
    char_of_byte_[b] = KeepsItsOwnCode(b) ? static_cast<char32_t>(b) : next++;
    AppendUtf8(char_of_byte_[b], spelling_of_byte_[b]);
  }
}

std::string ByteLevelAlphabet::Spell(std::string_view bytes) const {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) out += spelling_of_byte_[static_cast<uint8_t>(c)];
  return out;
}

std::optional<uint8_t> ByteLevelAlphabet::ByteOf(char32_t cp) const {
  if (cp < 256 && KeepsItsOwnCode(static_cast<int>(cp))) return static_cast<uint8_t>(cp);
  if (cp >= 256 && cp < 256 + 68) {
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      if (KeepsItsOwnCode(b)) continue;
      if (next++ == cp) return static_cast<uint8_t>(b);
    }
  }
  return std::nullopt;
}

}  // namespace sgl::tokenizer
