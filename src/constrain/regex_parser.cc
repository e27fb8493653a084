#include "constrain/regex_parser.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "constrain/utf8_ranges.h"

namespace sgl::constrain {
namespace {

CodePointRanges DigitRanges() { return {{'0', '9'}}; }
CodePointRanges WordRanges() { return {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}, {'_', '_'}}; }
CodePointRanges SpaceRanges() { return {{'\t', '\r'}, {' ', ' '}}; }

class RegexParser {
 public:
  RegexParser(std::string_view p, const RegexLimits& limits) : p_(p), limits_(limits) {}

  Result<ParsedRegex> Parse() {
    ParsedRegex out;
    if (!p_.empty() && p_[0] == '^') {
      out.anchored_start = true;
      ++pos_;
    }
    SGL_ASSIGN_OR_RETURN(out.expr, ParseAlternation(0));
    if (pos_ < p_.size()) return Error("unmatched ')'");
    out.anchored_end = ended_with_dollar_;
    if (ExpandedSize(out.expr) > limits_.max_expanded_size) {
      return Status(StatusCode::kInvalidArgument,
                    "regex: pattern too large after expanding repetitions (limit " +
                        std::to_string(limits_.max_expanded_size) + " nodes)");
    }
    return out;
  }

 private:
  Status Error(std::string_view what) const {
    return InvalidArgument("regex: {} (at offset {})", what, pos_);
  }
  Status NotSupported(std::string_view feature) const {
    return InvalidArgument("regex: {} not supported (at offset {})", feature, pos_);
  }
  bool AtEnd() const { return pos_ >= p_.size(); }
  char Peek() const { return p_[pos_]; }

  Result<Expr> ParseAlternation(int depth) {
    if (depth > limits_.max_depth) return Error("groups nested too deeply");
    std::vector<Expr> options;
    SGL_ASSIGN_OR_RETURN(Expr first, ParseSequence(depth));
    options.push_back(std::move(first));
    while (!AtEnd() && Peek() == '|') {
      ++pos_;
      // A '$' closed into a deeper group ends only the branch this '|' leaves.
      if (dollar_depth_ && *dollar_depth_ > depth) dollar_depth_.reset();
      SGL_ASSIGN_OR_RETURN(Expr next, ParseSequence(depth));
      options.push_back(std::move(next));
    }
    return AltExpr(std::move(options));
  }

  Result<Expr> ParseSequence(int depth) {
    std::vector<Expr> parts;
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      if (Peek() == '$') {
        ++pos_;
        if (!AtEnd() && Peek() != '|' && Peek() != ')') return NotSupported("'$' before the end of the pattern is");
        if (AtEnd()) ended_with_dollar_ = true;
        if (!AtEnd() && depth > 0) dollar_depth_ = std::min(dollar_depth_.value_or(depth), depth);
        continue;
      }
      if (dollar_depth_ > depth) return NotSupported("'$' inside a group followed by more pattern is");
      if (Peek() == '^') {
        if (!(depth == 0 && parts.empty() && pos_ > 0 && p_[pos_ - 1] == '|')) {
          return NotSupported("'^' after the start of the pattern is");
        }
        ++pos_;
        continue;
      }
      SGL_ASSIGN_OR_RETURN(Expr atom, ParseAtom(depth));
      SGL_ASSIGN_OR_RETURN(atom, ParseQuantifiers(std::move(atom), depth));
      parts.push_back(std::move(atom));
    }
    return SeqExpr(std::move(parts));
  }

  // Reads {m}, {m,}, {m,n} at pos_; nullopt (pos_ unchanged) when it is a literal '{'.
  std::optional<std::pair<int64_t, std::optional<int64_t>>> ReadBraces() {
    size_t i = pos_ + 1;
    auto read_int = [&](int64_t& v) {
      size_t start = i;
      v = 0;
      while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9' && i - start < 9) v = v * 10 + (p_[i++] - '0');
      return i > start;
    };
    int64_t m = 0, n = 0;
    if (!read_int(m)) return std::nullopt;
    std::optional<int64_t> max = m;
    if (i < p_.size() && p_[i] == ',') {
      ++i;
      max = read_int(n) ? std::optional<int64_t>(n) : std::nullopt;
    }
    if (i >= p_.size() || p_[i] != '}') return std::nullopt;
    pos_ = i + 1;
    return std::make_pair(m, max);
  }

  Result<Expr> ParseQuantifiers(Expr atom, int depth) {
    while (!AtEnd()) {
      char c = Peek();
      int64_t min = 0;
      std::optional<int64_t> max;
      if (c == '*' || c == '+' || c == '?') {
        ++pos_;
        min = c == '+' ? 1 : 0;
        if (c == '?') max = 1;
      } else if (c == '{') {
        auto braces = ReadBraces();
        if (!braces) return atom;  // a literal '{' follows; handled as the next atom
        min = braces->first;
        max = braces->second;
        if (max && *max < min) return Error("quantifier {m,n} with n < m");
        if (min > limits_.max_repeat || (max && *max > limits_.max_repeat)) {
          return Error("repetition count above " + std::to_string(limits_.max_repeat));
        }
      } else {
        return atom;
      }
      // A group ending in '$' repeated: the copies after the first would follow the end.
      if (dollar_depth_ > depth && max != 1) return NotSupported("'$' inside a repeated group is");
      if (!AtEnd() && Peek() == '?') {
        ++pos_;  // lazy: same language as greedy
      } else if (!AtEnd() && Peek() == '+') {
        return NotSupported("possessive quantifiers are");
      }
      atom = RepeatExpr(std::move(atom), static_cast<int32_t>(min),
                        max ? std::optional<int32_t>(static_cast<int32_t>(*max)) : std::nullopt);
    }
    return atom;
  }

  Result<uint32_t> ReadCodePoint() {
    auto b0 = static_cast<uint8_t>(p_[pos_]);
    int len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
    if (len == 0 || pos_ + len > p_.size()) return Error("invalid UTF-8 in the pattern");
    uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (int i = 1; i < len; ++i) {
      auto b = static_cast<uint8_t>(p_[pos_ + i]);
      if ((b & 0xC0) != 0x80) return Error("invalid UTF-8 in the pattern");
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return Error("invalid UTF-8 in the pattern");
    }
    pos_ += len;
    return cp;
  }

  Result<uint32_t> ReadHex(size_t digits) {
    uint32_t v = 0;
    for (size_t i = 0; i < digits; ++i) {
      if (AtEnd()) return Error("truncated hex escape");
      char c = Peek();
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return Error("bad hex digit in escape");
      v = v * 16 + d;
      ++pos_;
    }
    return v;
  }

  // After a backslash: either a class (\d...) or one code point. REQUIRES: !AtEnd().
  Result<CodePointRanges> ParseEscape(bool in_class) {
    char c = Peek();
    ++pos_;
    switch (c) {
      case 'd': return DigitRanges();
      case 'D': return ComplementRanges(DigitRanges());
      case 'w': return WordRanges();
      case 'W': return ComplementRanges(WordRanges());
      case 's': return SpaceRanges();
      case 'S': return ComplementRanges(SpaceRanges());
      case 'n': return CodePointRanges{{'\n', '\n'}};
      case 't': return CodePointRanges{{'\t', '\t'}};
      case 'r': return CodePointRanges{{'\r', '\r'}};
      case 'f': return CodePointRanges{{'\f', '\f'}};
      case 'v': return CodePointRanges{{'\v', '\v'}};
      case '0': return CodePointRanges{{0, 0}};
      case 'b':
        if (in_class) return CodePointRanges{{'\b', '\b'}};
        return NotSupported("word boundaries (\\b) are");
      case 'B': return NotSupported("word boundaries (\\B) are");
      case 'A': case 'z': case 'Z': case 'G': return NotSupported("anchors other than ^ and $ are");
      case 'p': case 'P': return NotSupported("Unicode property classes (\\p{...}) are");
      case 'k': return NotSupported("backreferences (\\k) are");
      case 'x': {
        uint32_t v = 0;
        if (!AtEnd() && Peek() == '{') {
          ++pos_;
          size_t start = pos_;
          while (!AtEnd() && Peek() != '}') ++pos_;
          if (AtEnd() || pos_ == start || pos_ - start > 6) return Error("bad \\x{...} escape");
          size_t end = pos_;
          pos_ = start;
          SGL_ASSIGN_OR_RETURN(v, ReadHex(end - start));
          ++pos_;
        } else {
          SGL_ASSIGN_OR_RETURN(v, ReadHex(2));
        }
        if (v > kMaxCodePoint || (v >= 0xD800 && v <= 0xDFFF)) return Error("escape is not a Unicode scalar value");
        return CodePointRanges{{v, v}};
      }
      case 'u': {
        SGL_ASSIGN_OR_RETURN(uint32_t v, ReadHex(4));
        if (v >= 0xD800 && v <= 0xDFFF) return Error("escape is not a Unicode scalar value");
        return CodePointRanges{{v, v}};
      }
      default:
        if (c >= '1' && c <= '9') return NotSupported("backreferences (\\1..\\9) are");
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
          return NotSupported(std::string("the escape \\") + c + " is");
        }
        --pos_;
        SGL_ASSIGN_OR_RETURN(uint32_t cp, ReadCodePoint());
        return CodePointRanges{{cp, cp}};
    }
  }

  Result<Expr> ParseClass() {
    bool negate = false;
    if (!AtEnd() && Peek() == '^') {
      negate = true;
      ++pos_;
    }
    CodePointRanges ranges;
    bool first = true;
    while (true) {
      if (AtEnd()) return Error("unterminated character class");
      if (Peek() == ']' && !first) {
        ++pos_;
        break;
      }
      if (Peek() == '[' && pos_ + 1 < p_.size() && (p_[pos_ + 1] == ':' || p_[pos_ + 1] == '=')) {
        return NotSupported("POSIX classes ([:name:]) are");
      }
      first = false;
      SGL_ASSIGN_OR_RETURN(CodePointRanges lo, ParseClassAtom());
      bool single = lo.size() == 1 && lo[0].first == lo[0].second;
      if (single && pos_ + 1 < p_.size() && Peek() == '-' && p_[pos_ + 1] != ']') {
        ++pos_;
        SGL_ASSIGN_OR_RETURN(CodePointRanges hi, ParseClassAtom());
        if (hi.size() != 1 || hi[0].first != hi[0].second) return Error("class range ends in a class escape");
        if (hi[0].first < lo[0].first) return Error("class range out of order");
        ranges.push_back({lo[0].first, hi[0].first});
      } else {
        ranges.insert(ranges.end(), lo.begin(), lo.end());
      }
    }
    return CodePointRangesExpr(negate ? ComplementRanges(ranges) : ranges);
  }

  Result<CodePointRanges> ParseClassAtom() {
    if (Peek() == '\\') {
      ++pos_;
      if (AtEnd()) return Error("pattern ends with a backslash");
      return ParseEscape(/*in_class=*/true);
    }
    SGL_ASSIGN_OR_RETURN(uint32_t cp, ReadCodePoint());
    return CodePointRanges{{cp, cp}};
  }

  Result<Expr> ParseGroup(int depth) {
    if (!AtEnd() && Peek() == '?') {
      ++pos_;
      if (AtEnd()) return Error("unterminated group");
      char c = Peek();
      if (c == ':') {
        ++pos_;
      } else if (c == '=' || c == '!') {
        return NotSupported("lookahead assertions are");
      } else if (c == '<' && pos_ + 1 < p_.size() && (p_[pos_ + 1] == '=' || p_[pos_ + 1] == '!')) {
        return NotSupported("lookbehind assertions are");
      } else if (c == '<' || c == 'P' || c == '\'') {
        if (c == 'P') {
          ++pos_;
          if (!AtEnd() && (Peek() == '=' || Peek() == '>')) return NotSupported("backreferences ((?P=name)) are");
        }
        char close = (!AtEnd() && Peek() == '\'') ? '\'' : '>';
        while (!AtEnd() && Peek() != close) ++pos_;
        if (AtEnd()) return Error("unterminated group name");
        ++pos_;
      } else if (c == '>') {
        return NotSupported("atomic groups are");
      } else {
        return NotSupported("inline flags and special groups (?...) are");
      }
    }
    SGL_ASSIGN_OR_RETURN(Expr inner, ParseAlternation(depth + 1));
    if (AtEnd() || Peek() != ')') return Error("missing ')'");
    ++pos_;
    return inner;
  }

  Result<Expr> ParseAtom(int depth) {
    char c = Peek();
    switch (c) {
      case '(':
        ++pos_;
        return ParseGroup(depth);
      case '[':
        ++pos_;
        return ParseClass();
      case '.':
        ++pos_;
        return CodePointRangesExpr(ComplementRanges({{'\n', '\n'}}));
      case '*': case '+': case '?': return Error("quantifier without anything to repeat");
      case '{':
        if (ReadBraces()) return Error("quantifier without anything to repeat");
        ++pos_;
        return ByteExpr('{');
      case '\\': {
        ++pos_;
        if (AtEnd()) return Error("pattern ends with a backslash");
        SGL_ASSIGN_OR_RETURN(CodePointRanges ranges, ParseEscape(/*in_class=*/false));
        return CodePointRangesExpr(ranges);
      }
      default: {
        SGL_ASSIGN_OR_RETURN(uint32_t cp, ReadCodePoint());
        return CodePointRangesExpr({{cp, cp}});
      }
    }
  }

  std::string_view p_;
  const RegexLimits& limits_;
  size_t pos_ = 0;
  bool ended_with_dollar_ = false;
  // Set by a '$' ending a branch inside a group: the shallowest group depth such a '$'
  // was at. Once the parse is back outside that group nothing may follow, nor may the
  // group repeat, until a '|' at a shallower depth starts another branch.
  std::optional<int> dollar_depth_;
};

}  // namespace

Result<ParsedRegex> ParseRegex(std::string_view pattern, const RegexLimits& limits) {
  return RegexParser(pattern, limits).Parse();
}

}  // namespace sgl::constrain
