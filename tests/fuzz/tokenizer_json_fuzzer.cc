// libFuzzer target: arbitrary bytes as a tokenizer.json must load or fail with a Status;
// a loaded tokenizer must encode and decode any text (the input itself included), pairs
// and arbitrary ids without crashing, throwing or hanging, and decode to valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

void CheckDecode(const sgl::Tokenizer& tok, const std::vector<int32_t>& ids) {
  for (const bool skip : {false, true}) {
    const std::string text = tok.Decode(ids, skip);
    if (sgl::tokenizer::Utf8Lossy(text) != text) __builtin_trap();  // Decode promises valid UTF-8
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto tok = sgl::Tokenizer::FromJsonText(input);
  if (!tok.ok()) return 0;
  const sgl::Tokenizer& t = **tok;
  const std::string_view texts[] = {"Hello, world! 12345", " \t\n  ", "\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 e\xCC\x81",
                                    "\xFF\xC3(", input.substr(0, 512)};
  for (const std::string_view text : texts) {
    for (const bool special : {false, true}) {
      const auto ids = t.Encode(text, special);
      for (const int32_t id : ids) {
        if (id < 0) __builtin_trap();
        (void)t.TokenBytes(id);
      }
      CheckDecode(t, ids);
    }
  }
  const auto pair = t.EncodePair(texts[0], texts[2], true);
  if (pair.ids.size() != pair.type_ids.size()) __builtin_trap();
  std::vector<int32_t> arbitrary;
  for (size_t i = 0; i + 1 < size && arbitrary.size() < 64; i += 2) arbitrary.push_back((data[i] << 8 | data[i + 1]) - 16);
  CheckDecode(t, arbitrary);
  return 0;
}
