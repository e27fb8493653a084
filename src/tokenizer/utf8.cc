// UTF-8 decoding/encoding following the Unicode "maximal subpart" rule for errors.
#include "tokenizer/utf8.h"

namespace sgl::tokenizer {
namespace {

// Expected total length for a lead byte and the valid range of the second byte.
struct Lead {
  size_t len;
  uint8_t lo, hi;
};

Lead ClassifyLead(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Returns the number of valid bytes of the sequence at pos (== lead.len if complete).
size_t ValidPrefix(std::string_view text, size_t pos, const Lead& lead) {
  size_t n = 1;
  for (; n < lead.len && pos + n < text.size(); ++n) {
    const uint8_t c = static_cast<uint8_t>(text[pos + n]);
    const uint8_t lo = n == 1 ? lead.lo : 0x80, hi = n == 1 ? lead.hi : 0xBF;
    if (c < lo || c > hi) break;
  }
  return n;
}

}  // namespace

CodePoint DecodeUtf8(std::string_view text, size_t pos) {
  const uint8_t b = static_cast<uint8_t>(text[pos]);
  const Lead lead = ClassifyLead(b);
  if (lead.len == 1) return {b, 1};
  if (lead.len == 0) return {0xFFFD, 1};
  const size_t n = ValidPrefix(text, pos, lead);
  if (n != lead.len) return {0xFFFD, n};
  char32_t cp = b & (0xFF >> (lead.len + 1));
  for (size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<uint8_t>(text[pos + i]) & 0x3F);
  return {cp, n};
}

void AppendUtf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string Utf8Lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    const CodePoint cp = DecodeUtf8(bytes, pos);
    if (cp.value == 0xFFFD && !(cp.len == 3 && bytes.substr(pos, 3) == "\xEF\xBF\xBD")) {
      AppendUtf8(0xFFFD, out);
    } else {
      out.append(bytes.substr(pos, cp.len));
    }
    pos += cp.len;
  }
  return out;
}

size_t CompleteUtf8Prefix(std::string_view bytes) {
  // Look back at most 3 bytes for the lead of an unfinished sequence.
  const size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const uint8_t b = static_cast<uint8_t>(bytes[n - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    const Lead lead = ClassifyLead(b);
    if (lead.len > back && ValidPrefix(bytes, n - back, lead) == back) return n - back;
    return n;
  }
  return n;
}

}  // namespace sgl::tokenizer
