#include "constrain/json_value_exprs.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "constrain/regex_parser.h"
#include "constrain/utf8_ranges.h"

namespace sgl::constrain {
namespace {

Expr Digits(char lo, char hi) { return BytesExpr(ByteSet::Range(static_cast<uint8_t>(lo), static_cast<uint8_t>(hi))); }
Expr AnyDigit() { return Digits('0', '9'); }

// Same-length decimal strings lo <= hi: all numbers between, digit by digit.
Expr SameLengthRange(const std::string& lo, const std::string& hi) {
  if (lo.size() == 1) return Digits(lo[0], hi[0]);
  if (lo[0] == hi[0]) return SeqExpr({ByteExpr(static_cast<uint8_t>(lo[0])), SameLengthRange(lo.substr(1), hi.substr(1))});
  size_t rest = lo.size() - 1;
  std::vector<Expr> options;
  options.push_back(SeqExpr({ByteExpr(static_cast<uint8_t>(lo[0])), SameLengthRange(lo.substr(1), std::string(rest, '9'))}));
  if (hi[0] - lo[0] > 1) {
    options.push_back(SeqExpr({Digits(static_cast<char>(lo[0] + 1), static_cast<char>(hi[0] - 1)),
                               RepeatExpr(AnyDigit(), static_cast<int32_t>(rest), static_cast<int32_t>(rest))}));
  }
  options.push_back(SeqExpr({ByteExpr(static_cast<uint8_t>(hi[0])), SameLengthRange(std::string(rest, '0'), hi.substr(1))}));
  return AltExpr(std::move(options));
}

uint64_t MaxOfLength(size_t len) {
  uint64_t v = 0;
  for (size_t i = 0; i < len; ++i) v = v * 10 + 9;
  return v;
}

// Non-negative integers in [lo, hi] (hi nullopt: unbounded), without leading zeros.
Expr NonNegativeRange(uint64_t lo, std::optional<uint64_t> hi) {
  std::vector<Expr> options;
  size_t lo_len = std::to_string(lo).size();
  if (!hi) {  // the rest of lo's length, then any longer number
    options.push_back(SameLengthRange(std::to_string(lo), std::to_string(MaxOfLength(lo_len))));
    options.push_back(SeqExpr({Digits('1', '9'), RepeatExpr(AnyDigit(), static_cast<int32_t>(lo_len), std::nullopt)}));
    return AltExpr(std::move(options));
  }
  size_t hi_len = std::to_string(*hi).size();
  for (size_t len = lo_len; len <= hi_len; ++len) {
    uint64_t a = len == lo_len ? lo : MaxOfLength(len - 1) + 1;
    uint64_t b = (hi && len == hi_len) ? *hi : MaxOfLength(len);
    if (a > b) continue;
    options.push_back(SameLengthRange(std::to_string(a), std::to_string(b)));
  }
  return AltExpr(std::move(options));
}

std::optional<uint64_t> ToUnsigned(std::optional<int64_t> v) {
  if (!v) return std::nullopt;
  return static_cast<uint64_t>(*v);
}

Expr Fraction() { return SeqExpr({ByteExpr('.'), PlusExpr(AnyDigit())}); }

}  // namespace

Expr JsonStringCharExpr() {
  CodePointRanges plain = ComplementRanges({{0, 0x1F}, {'"', '"'}, {'\\', '\\'}});
  Expr hex = BytesExpr([] { ByteSet s; s.AddRange('0', '9'); s.AddRange('a', 'f'); s.AddRange('A', 'F'); return s; }());
  ByteSet not_d, d_second;
  not_d.AddRange('0', '9'); not_d.AddRange('a', 'c'); not_d.AddRange('A', 'C');
  not_d.AddRange('e', 'f'); not_d.AddRange('E', 'F');
  d_second.AddRange('0', '7');
  // \uXXXX without lone surrogates, so every escape decodes to exactly one character.
  Expr u_escape = SeqExpr({ByteExpr('u'), AltExpr({SeqExpr({BytesExpr(not_d), hex, hex, hex}),
                                                    SeqExpr({BytesExpr([] { ByteSet s; s.Add('d'); s.Add('D'); return s; }()),
                                                             BytesExpr(d_second), hex, hex})})});
  ByteSet simple;
  for (char c : std::string_view("\"\\/bfnrt")) simple.Add(static_cast<uint8_t>(c));
  Expr escape = SeqExpr({ByteExpr('\\'), AltExpr({BytesExpr(simple), std::move(u_escape)})});
  return AltExpr({CodePointRangesExpr(plain), std::move(escape)});
}

Expr JsonStringExpr(int32_t min_len, std::optional<int32_t> max_len) {
  return SeqExpr({ByteExpr('"'), RepeatExpr(JsonStringCharExpr(), min_len, max_len), ByteExpr('"')});
}

Expr JsonStringRestExpr() { return SeqExpr({StarExpr(JsonStringCharExpr()), ByteExpr('"')}); }

namespace {

// Key content from a point where `prefix` (a prefix of some name, in `sorted` order) has
// been read: names[begin, end) are the names starting with it.
Expr KeyAfterPrefix(const std::vector<std::string>& sorted, size_t begin, size_t end, size_t depth, const Expr& rest) {
  std::vector<Expr> options;
  bool is_name = sorted[begin].size() == depth;
  if (!is_name) options.push_back(ByteExpr('"'));
  ByteSet plain_ascii = ByteSet::Range(0x20, 0x7F);
  plain_ascii.Remove('"');
  plain_ascii.Remove('\\');
  ByteSet differing = plain_ascii;
  bool non_ascii_continues = false;
  size_t i = is_name ? begin + 1 : begin;
  while (i < end) {
    auto b = static_cast<uint8_t>(sorted[i][depth]);
    size_t j = i;
    while (j < end && static_cast<uint8_t>(sorted[j][depth]) == b) ++j;
    if (b >= 0x80) {
      non_ascii_continues = true;  // not followed: such a character is refused here
    } else if (plain_ascii.Contains(b)) {
      differing.Remove(b);
      options.push_back(SeqExpr({ByteExpr(b), KeyAfterPrefix(sorted, i, j, depth + 1, rest)}));
    }
    i = j;
  }
  if (!differing.Empty()) options.push_back(SeqExpr({BytesExpr(differing), rest}));
  if (!non_ascii_continues) options.push_back(SeqExpr({CodePointRangesExpr({{0x80, kMaxCodePoint}}), rest}));
  return AltExpr(std::move(options));
}

}  // namespace

Expr JsonStringExceptExpr(const std::vector<std::string>& names, const Expr& rest) {
  if (names.empty()) return SeqExpr({ByteExpr('"'), rest});
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return SeqExpr({ByteExpr('"'), KeyAfterPrefix(sorted, 0, sorted.size(), 0, rest)});
}

Expr JsonNumberExpr() {
  ByteSet sign;
  sign.Add('+');
  sign.Add('-');
  ByteSet e;
  e.Add('e');
  e.Add('E');
  // -0 is a valid JSON number (and -0.5 needs it), unlike the integer ranges' spelling.
  Expr int_part = AltExpr({ByteExpr('0'), SeqExpr({Digits('1', '9'), StarExpr(AnyDigit())})});
  return SeqExpr({OptionalExpr(ByteExpr('-')), std::move(int_part), OptionalExpr(Fraction()),
                  OptionalExpr(SeqExpr({BytesExpr(e), OptionalExpr(BytesExpr(sign)), PlusExpr(AnyDigit())}))});
}

Expr JsonIntegerExpr(std::optional<int64_t> lo, std::optional<int64_t> hi) {
  std::vector<Expr> options;
  // Negative part: -[max(1, -hi), -lo].
  if (!lo || *lo < 0) {
    uint64_t abs_lo = hi && *hi < 0 ? static_cast<uint64_t>(-(*hi + 1)) + 1 : 1;
    std::optional<uint64_t> abs_hi;
    if (lo) abs_hi = static_cast<uint64_t>(-(*lo + 1)) + 1;
    if (!abs_hi || abs_lo <= *abs_hi) options.push_back(SeqExpr({ByteExpr('-'), NonNegativeRange(abs_lo, abs_hi)}));
  }
  if (!hi || *hi >= 0) {
    uint64_t a = lo && *lo > 0 ? static_cast<uint64_t>(*lo) : 0;
    std::optional<uint64_t> b;
    if (hi) b = static_cast<uint64_t>(*hi);
    if (!b || a <= *b) options.push_back(NonNegativeRange(a, b));
  }
  return AltExpr(std::move(options));
}

Expr JsonBoundedNumberExpr(std::optional<int64_t> lo, std::optional<int64_t> hi) {
  std::vector<Expr> options;
  options.push_back(JsonIntegerExpr(lo, hi));
  // X.f (f > 0) lies in (X, X + 1): inside [lo, hi] when lo <= X and X + 1 <= hi.
  int64_t pos_lo = lo ? std::max<int64_t>(*lo, 0) : 0;
  std::optional<int64_t> pos_hi;
  if (hi) pos_hi = *hi - 1;
  if (!pos_hi || pos_lo <= *pos_hi) {
    options.push_back(SeqExpr({NonNegativeRange(static_cast<uint64_t>(pos_lo), ToUnsigned(pos_hi)), Fraction()}));
  }
  // -X.f lies in (-(X + 1), -X): inside [lo, hi] when -hi <= X and X + 1 <= -lo. X = 0
  // gives -0.f, spelled with its leading zero as JSON requires.
  if (!lo || *lo <= -1) {
    int64_t neg_lo = hi && *hi < 0 ? -*hi : 0;
    std::optional<int64_t> neg_hi;
    if (lo) neg_hi = -*lo - 1;
    if (!neg_hi || neg_lo <= *neg_hi) {
      options.push_back(
          SeqExpr({ByteExpr('-'), NonNegativeRange(static_cast<uint64_t>(neg_lo), ToUnsigned(neg_hi)), Fraction()}));
    }
  }
  return AltExpr(std::move(options));
}

std::optional<Expr> JsonFormatExpr(std::string_view format) {
  static constexpr std::string_view kDate =
      R"((000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d{3})-((0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31))";
  static constexpr std::string_view kTime =
      R"(([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d))";
  std::string pattern;
  if (format == "date") {
    pattern = kDate;
  } else if (format == "time") {
    pattern = kTime;
  } else if (format == "date-time") {
    pattern = std::string(kDate) + "T" + std::string(kTime);
  } else if (format == "email") {
    pattern = R"([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)";
  } else if (format == "uuid") {
    pattern = R"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})";
  } else if (format == "uri") {
    pattern = R"([A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]*)";
  } else if (format == "ipv4") {
    pattern = R"(((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))";
  } else if (format == "hostname") {
    pattern = R"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)";
  } else {
    return std::nullopt;
  }
  auto parsed = ParseRegex(pattern);
  if (!parsed.ok()) return std::nullopt;  // the patterns above are fixed and tested
  return SeqExpr({ByteExpr('"'), std::move(parsed->expr), ByteExpr('"')});
}

namespace {

void RemoveUnsafeBytes(Expr& e) {
  if (e.kind == ExprKind::kBytes) {
    e.bytes.Subtract(ByteSet::Range(0, 0x1F));
    e.bytes.Remove('"');
    e.bytes.Remove('\\');
  }
  for (Expr& c : e.children) RemoveUnsafeBytes(c);
}

}  // namespace

Result<Expr> JsonPatternStringExpr(std::string_view pattern) {
  auto parsed = ParseRegex(pattern);
  if (!parsed.ok()) return parsed.status().WithContext("pattern");
  Expr body = std::move(parsed->expr);
  RemoveUnsafeBytes(body);
  CodePointRanges plain = ComplementRanges({{0, 0x1F}, {'"', '"'}, {'\\', '\\'}});
  std::vector<Expr> parts;
  parts.push_back(ByteExpr('"'));
  if (!parsed->anchored_start) parts.push_back(StarExpr(CodePointRangesExpr(plain)));
  parts.push_back(std::move(body));
  if (!parsed->anchored_end) parts.push_back(StarExpr(CodePointRangesExpr(plain)));
  parts.push_back(ByteExpr('"'));
  return SeqExpr(std::move(parts));
}

}  // namespace sgl::constrain
