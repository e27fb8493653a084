#include "constrain/utf8_ranges.h"

#include <algorithm>

namespace sgl::constrain {
namespace {

// Largest code point encodable in `len` UTF-8 bytes.
uint32_t MaxForLength(int len) {
  static constexpr uint32_t kMax[] = {0, 0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
  return kMax[len];
}

int Utf8Length(uint32_t cp) { return cp <= 0x7F ? 1 : cp <= 0x7FF ? 2 : cp <= 0xFFFF ? 3 : 4; }

// [lo, hi] with both ends of the same encoded length: split until each piece is a
// product of byte ranges (a prefix shared, the rest spanning full continuation ranges).
void AddSameLength(uint32_t lo, uint32_t hi, std::vector<Expr>& out) {
  int len = Utf8Length(lo);
  for (int i = 1; i < len; ++i) {
    uint32_t mask = (uint32_t{1} << (6 * i)) - 1;
    if ((lo & ~mask) != (hi & ~mask)) {
      if ((lo & mask) != 0) {
        AddSameLength(lo, lo | mask, out);
        AddSameLength((lo | mask) + 1, hi, out);
        return;
      }
      if ((hi & mask) != mask) {
        AddSameLength(lo, (hi & ~mask) - 1, out);
        AddSameLength(hi & ~mask, hi, out);
        return;
      }
    }
  }
  std::string a = EncodeUtf8(lo), b = EncodeUtf8(hi);
  std::vector<Expr> seq;
  for (size_t i = 0; i < a.size(); ++i) {
    seq.push_back(BytesExpr(ByteSet::Range(static_cast<uint8_t>(a[i]), static_cast<uint8_t>(b[i]))));
  }
  out.push_back(SeqExpr(std::move(seq)));
}

}  // namespace

std::string EncodeUtf8(uint32_t cp) {
  std::string s;
  if (cp <= 0x7F) {
    s += static_cast<char>(cp);
  } else if (cp <= 0x7FF) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp <= 0xFFFF) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

CodePointRanges NormalizeRanges(CodePointRanges ranges) {
  CodePointRanges split;
  for (auto [lo, hi] : ranges) {
    hi = std::min(hi, kMaxCodePoint);
    if (lo > hi) continue;
    if (lo < 0xD800 && hi >= 0xD800) split.push_back({lo, 0xD7FF});
    if (hi > 0xDFFF && lo <= 0xDFFF) split.push_back({0xE000, hi});
    if (hi < 0xD800 || lo > 0xDFFF) split.push_back({lo, hi});
  }
  std::sort(split.begin(), split.end());
  CodePointRanges merged;
  for (auto r : split) {
    if (!merged.empty() && r.first <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

CodePointRanges ComplementRanges(const CodePointRanges& ranges) {
  CodePointRanges norm = NormalizeRanges(ranges), out;
  uint32_t next = 0;
  for (auto [lo, hi] : norm) {
    if (lo > next) out.push_back({next, lo - 1});
    next = hi + 1;
  }
  if (next <= kMaxCodePoint) out.push_back({next, kMaxCodePoint});
  return NormalizeRanges(out);
}

Expr CodePointRangesExpr(const CodePointRanges& ranges) {
  std::vector<Expr> options;
  ByteSet ascii;
  for (auto [lo, hi] : NormalizeRanges(ranges)) {
    for (int len = 1; len <= 4; ++len) {
      uint32_t len_lo = len == 1 ? 0 : MaxForLength(len - 1) + 1;
      uint32_t a = std::max(lo, len_lo), b = std::min(hi, MaxForLength(len));
      if (a > b) continue;
      if (len == 1) {
        ascii.AddRange(static_cast<uint8_t>(a), static_cast<uint8_t>(b));
      } else {
        AddSameLength(a, b, options);
      }
    }
  }
  if (!ascii.Empty()) options.insert(options.begin(), BytesExpr(ascii));
  return AltExpr(std::move(options));
}

}  // namespace sgl::constrain
