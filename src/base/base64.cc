#include "base/base64.h"

#include <cstdint>

namespace sgl {
namespace {

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v'; }

}  // namespace

Result<std::string> DecodeBase64(std::string_view text, std::string_view what) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t buffer = 0;
  int bits = 0;
  size_t num_padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsSpace(c)) continue;
    if (c == '=') {
      ++num_padding;
      continue;
    }
    const int v = Base64Value(c);
    if (v < 0) return InvalidArgument("{}: invalid base64 character at offset {}", what, i);
    if (num_padding > 0) return InvalidArgument("{}: base64 data after '=' padding", what);
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (num_padding > 2) return InvalidArgument("{}: too much base64 padding", what);
  // Six leftover bits cannot end a valid encoding (one symbol short of a byte).
  if (bits == 6) return InvalidArgument("{}: truncated base64", what);
  return out;
}

bool LooksLikeBase64(std::string_view text) {
  size_t num_symbols = 0;
  bool padded = false;
  for (const char c : text) {
    if (IsSpace(c)) continue;
    if (c == '=') {
      padded = true;
      continue;
    }
    if (Base64Value(c) < 0 || padded) return false;
    ++num_symbols;
  }
  return num_symbols > 0;
}

}  // namespace sgl
