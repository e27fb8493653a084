#include "constrain/ebnf_parser.h"

#include <map>
#include <string>
#include <vector>

#include "constrain/utf8_ranges.h"

namespace sgl::constrain {
namespace {

constexpr int kMaxDepth = 200;
constexpr int kMaxRepeat = 10000;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

class EbnfParser {
 public:
  explicit EbnfParser(std::string_view text) : t_(text) {}

  Result<Grammar> Parse(std::string_view root_name) {
    SkipSpace();
    while (!AtEnd()) {
      std::string name = ReadName();
      if (name.empty()) return Error("expected a rule name");
      SkipSpace();
      if (t_.substr(pos_, 3) != "::=") return Error("expected '::=' after rule name '" + name + "'");
      pos_ += 3;
      int32_t id = RuleId(name);
      if (defined_[id]) return Error("rule '" + name + "' is defined twice");
      defined_[id] = 1;
      SGL_ASSIGN_OR_RETURN(Expr body, ParseAlternation(0));
      g_.rules[id].body = std::move(body);
      SkipSpace();
      if (!AtEnd() && !AtRuleStart()) {
        if (t_.substr(pos_, 2) == "(=") return Error("lookahead assertions (= ...) are not supported");
        return Error(std::string("unexpected '") + t_[pos_] + "'");
      }
    }
    for (size_t i = 0; i < g_.rules.size(); ++i) {
      if (!defined_[i]) return InvalidArgument("ebnf: rule '{}' is used but never defined", g_.rules[i].name);
    }
    auto root = ids_.find(std::string(root_name));
    if (root == ids_.end()) return InvalidArgument("ebnf: the grammar has no '{}' rule", root_name);
    g_.root_rule = root->second;
    return std::move(g_);
  }

 private:
  bool AtEnd() const { return pos_ >= t_.size(); }
  int Line() const {
    int line = 1;
    for (size_t i = 0; i < pos_ && i < t_.size(); ++i) line += t_[i] == '\n';
    return line;
  }
  Status Error(const std::string& what) const { return InvalidArgument("ebnf: line {}: {}", Line(), what); }

  void SkipSpace() {
    while (!AtEnd()) {
      char c = t_[pos_];
      if (c == '#') {
        while (!AtEnd() && t_[pos_] != '\n') ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else {
        break;
      }
    }
  }

  std::string ReadName() {
    size_t start = pos_;
    while (!AtEnd() && IsNameChar(t_[pos_])) ++pos_;
    return std::string(t_.substr(start, pos_ - start));
  }

  // At `name ::=`: the current rule's body is over.
  bool AtRuleStart() const {
    size_t i = pos_;
    while (i < t_.size() && IsNameChar(t_[i])) ++i;
    if (i == pos_) return false;
    while (i < t_.size() && (t_[i] == ' ' || t_[i] == '\t' || t_[i] == '\n' || t_[i] == '\r')) ++i;
    return t_.substr(i, 3) == "::=";
  }

  int32_t RuleId(const std::string& name) {
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
    int32_t id = g_.AddRule(name);
    ids_[name] = id;
    defined_.push_back(0);
    return id;
  }

  Result<Expr> ParseAlternation(int depth) {
    if (depth > kMaxDepth) return Error("groups nested too deeply");
    std::vector<Expr> options;
    SGL_ASSIGN_OR_RETURN(Expr first, ParseSequence(depth));
    options.push_back(std::move(first));
    SkipSpace();
    while (!AtEnd() && t_[pos_] == '|') {
      ++pos_;
      SGL_ASSIGN_OR_RETURN(Expr next, ParseSequence(depth));
      options.push_back(std::move(next));
      SkipSpace();
    }
    return AltExpr(std::move(options));
  }

  Result<Expr> ParseSequence(int depth) {
    std::vector<Expr> parts;
    while (true) {
      SkipSpace();
      if (AtEnd() || t_[pos_] == '|' || t_[pos_] == ')' || AtRuleStart()) break;
      if (t_.substr(pos_, 2) == "(=") return Error("lookahead assertions (= ...) are not supported");
      SGL_ASSIGN_OR_RETURN(Expr term, ParseTerm(depth));
      SGL_ASSIGN_OR_RETURN(term, ParsePostfix(std::move(term)));
      parts.push_back(std::move(term));
    }
    return SeqExpr(std::move(parts));
  }

  Result<Expr> ParsePostfix(Expr term) {
    while (!AtEnd()) {
      char c = t_[pos_];
      if (c == '*' || c == '+' || c == '?') {
        ++pos_;
        term = c == '*' ? StarExpr(std::move(term)) : c == '+' ? PlusExpr(std::move(term)) : OptionalExpr(std::move(term));
      } else if (c == '{') {
        ++pos_;
        SGL_ASSIGN_OR_RETURN(int32_t min, ReadInt());
        std::optional<int32_t> max = min;
        SkipSpace();
        if (!AtEnd() && t_[pos_] == ',') {
          ++pos_;
          SkipSpace();
          if (!AtEnd() && t_[pos_] == '}') {
            max = std::nullopt;
          } else {
            SGL_ASSIGN_OR_RETURN(max, ReadInt());
          }
        }
        SkipSpace();
        if (AtEnd() || t_[pos_] != '}') return Error("expected '}' closing a repetition");
        ++pos_;
        if (max && *max < min) return Error("repetition {m,n} with n < m");
        term = RepeatExpr(std::move(term), min, max);
      } else {
        break;
      }
    }
    return term;
  }

  Result<int32_t> ReadInt() {
    SkipSpace();
    size_t start = pos_;
    int64_t v = 0;
    while (!AtEnd() && t_[pos_] >= '0' && t_[pos_] <= '9' && v <= kMaxRepeat) v = v * 10 + (t_[pos_++] - '0');
    if (pos_ == start) return Error("expected a number in a repetition");
    if (v > kMaxRepeat) return Error("repetition count above " + std::to_string(kMaxRepeat));
    return static_cast<int32_t>(v);
  }

  Result<Expr> ParseTerm(int depth) {
    char c = t_[pos_];
    if (c == '"' || c == '\'') {
      ++pos_;
      std::string bytes;
      while (true) {
        if (AtEnd() || t_[pos_] == '\n') return Error("unterminated string literal");
        if (t_[pos_] == c) {
          ++pos_;
          break;
        }
        SGL_ASSIGN_OR_RETURN(uint32_t cp, ReadChar());
        bytes += EncodeUtf8(cp);
      }
      return LiteralExpr(bytes);
    }
    if (c == '[') {
      ++pos_;
      return ParseClass();
    }
    if (c == '.') {
      ++pos_;
      return CodePointRangesExpr({{0, kMaxCodePoint}});
    }
    if (c == '(') {
      ++pos_;
      SGL_ASSIGN_OR_RETURN(Expr inner, ParseAlternation(depth + 1));
      SkipSpace();
      if (AtEnd() || t_[pos_] != ')') return Error("missing ')'");
      ++pos_;
      return inner;
    }
    if (IsNameChar(c)) return RuleRefExpr(RuleId(ReadName()));
    return Error(std::string("unexpected '") + c + "'");
  }

  Result<Expr> ParseClass() {
    bool negate = !AtEnd() && t_[pos_] == '^';
    if (negate) ++pos_;
    CodePointRanges ranges;
    while (true) {
      if (AtEnd()) return Error("unterminated character class");
      if (t_[pos_] == ']') {
        ++pos_;
        break;
      }
      SGL_ASSIGN_OR_RETURN(uint32_t lo, ReadChar());
      uint32_t hi = lo;
      if (pos_ + 1 < t_.size() && t_[pos_] == '-' && t_[pos_ + 1] != ']') {
        ++pos_;
        SGL_ASSIGN_OR_RETURN(hi, ReadChar());
        if (hi < lo) return Error("character class range out of order");
      }
      ranges.push_back({lo, hi});
    }
    return CodePointRangesExpr(negate ? ComplementRanges(ranges) : ranges);
  }

  Result<uint32_t> ReadHex(int digits) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      if (AtEnd()) return Error("truncated escape");
      char c = t_[pos_++];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return Error("bad hex digit in escape");
      v = v * 16 + d;
    }
    if (v > kMaxCodePoint || (v >= 0xD800 && v <= 0xDFFF)) return Error("escape is not a Unicode scalar value");
    return v;
  }

  // One code point of a literal or class, escapes decoded. REQUIRES: !AtEnd().
  Result<uint32_t> ReadChar() {
    if (t_[pos_] == '\\') {
      ++pos_;
      if (AtEnd()) return Error("text ends inside an escape");
      char e = t_[pos_++];
      switch (e) {
        case 'n': return uint32_t{'\n'};
        case 't': return uint32_t{'\t'};
        case 'r': return uint32_t{'\r'};
        case 'f': return uint32_t{'\f'};
        case 'v': return uint32_t{'\v'};
        case '0': return uint32_t{0};
        case 'x': return ReadHex(2);
        case 'u': return ReadHex(4);
        case 'U': return ReadHex(8);
        case '\\': case '"': case '\'': case '[': case ']': case '-': case '^': case '/': case '.': case '|':
        case '(': case ')': case '*': case '+': case '?': case '{': case '}':
          return static_cast<uint32_t>(e);
        default: return Error(std::string("unknown escape \\") + e);
      }
    }
    auto b0 = static_cast<uint8_t>(t_[pos_]);
    int len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
    if (len == 0 || pos_ + len > t_.size()) return Error("invalid UTF-8");
    uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (int i = 1; i < len; ++i) {
      auto b = static_cast<uint8_t>(t_[pos_ + i]);
      if ((b & 0xC0) != 0x80) return Error("invalid UTF-8");
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) return Error("invalid UTF-8");
    pos_ += len;
    return cp;
  }

  std::string_view t_;
  size_t pos_ = 0;
  Grammar g_;
  std::map<std::string, int32_t> ids_;
  std::vector<uint8_t> defined_;
};

}  // namespace

Result<Grammar> ParseEbnf(std::string_view text, std::string_view root_name) {
  return EbnfParser(text).Parse(root_name);
}

}  // namespace sgl::constrain
