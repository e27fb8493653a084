// jinja2's lexer rules, re-derived: data runs until `{{`, `{%` or `{#`; tags are lexed
// into expression tokens until their end marker (ignored while brackets are open).
#include "tokenizer/chat_template/lexer.h"

#include <cctype>

#include "tokenizer/utf8.h"

namespace sgl::jinja {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

void RStrip(std::string& s) {
  while (!s.empty() && IsSpace(s.back())) s.pop_back();
}

size_t SkipSpace(const std::string& s, size_t i) {
  while (i < s.size() && IsSpace(s[i])) ++i;
  return i;
}

bool StartsAt(const std::string& s, size_t i, std::string_view what) { return s.compare(i, what.size(), what) == 0; }

Status LexError(const std::string& source, size_t pos, const std::string& message) {
  return InvalidArgument("template syntax error at {}: {}", DescribePosition(source, pos), message);
}

class Lexer {
 public:
  Lexer(const std::string& src, const LexerOptions& options) : src_(src), options_(options) {}

  Result<std::vector<Token>> Run() {
    size_t pos = 0;
    while (pos < src_.size()) {
      size_t tag = FindTagStart(pos);
      std::string data = src_.substr(pos, tag - pos);
      if (tag == src_.size()) {
        Emit(TokenKind::kText, std::move(data), pos);
        break;
      }
      char type = src_[tag + 1];  // '{', '%' or '#'
      char marker = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (marker == '-') {
        RStrip(data);
      } else if (marker != '+' && options_.lstrip_blocks && type != '{') {
        size_t line_start = data.rfind('\n');
        line_start = line_start == std::string::npos ? 0 : line_start + 1;
        bool line_starting = line_start > 0 || pos == 0 || src_[pos - 1] == '\n';
        if (line_starting && data.find_first_not_of(" \t\v\f\r", line_start) == std::string::npos) {
          data.resize(line_start);
        }
      }
      Emit(TokenKind::kText, std::move(data), pos);
      size_t body = tag + 2 + (marker == '-' || marker == '+');
      Result<size_t> next = type == '#' ? LexComment(body) : type == '%' ? LexBlock(tag, body) : LexVariable(tag, body);
      if (!next.ok()) return next.status();
      pos = *next;
    }
    tokens_.push_back({TokenKind::kEof, "", src_.size()});
    return std::move(tokens_);
  }

 private:
  size_t FindTagStart(size_t pos) const {
    for (size_t i = pos; i + 1 < src_.size(); ++i) {
      if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    }
    return src_.size();
  }

  void Emit(TokenKind kind, std::string text, size_t pos) {
    if (kind == TokenKind::kText && text.empty()) return;
    tokens_.push_back({kind, std::move(text), pos});
  }

  // After a `%}` or `#}` (no marker): trim_blocks eats one newline.
  size_t AfterBlockEnd(size_t end) const {
    if (options_.trim_blocks && end < src_.size() && src_[end] == '\n') return end + 1;
    return end;
  }

  // Matches a block end at i: `+%}`, `-%}` + whitespace, or `%}` (+ newline); returns where
  // the text after it starts, or npos.
  size_t MatchBlockEnd(size_t i, char close) const {
    if (StartsAt(src_, i, std::string("+") + close + "}")) return i + 3;
    if (StartsAt(src_, i, std::string("-") + close + "}")) return SkipSpace(src_, i + 3);
    if (StartsAt(src_, i, std::string(1, close) + "}")) return AfterBlockEnd(i + 2);
    return std::string::npos;
  }

  Result<size_t> LexComment(size_t body) {
    for (size_t i = body; i < src_.size(); ++i) {
      size_t end = MatchBlockEnd(i, '#');
      if (end != std::string::npos) return end;
    }
    return LexError(src_, body, "missing end of comment tag");
  }

  Result<size_t> LexBlock(size_t tag, size_t body) {
    // {% raw %} ... {% endraw %}: the content is text, untouched.
    size_t word = SkipSpace(src_, body);
    if (StartsAt(src_, word, "raw")) {
      size_t after = SkipSpace(src_, word + 3);
      size_t end = std::string::npos;
      if (StartsAt(src_, after, "-%}")) end = SkipSpace(src_, after + 3);
      else if (StartsAt(src_, after, "%}")) end = after + 2;
      if (end != std::string::npos) return LexRaw(end);
    }
    Emit(TokenKind::kBlockBegin, "", tag);
    return LexExpression(body, '%');
  }

  Result<size_t> LexRaw(size_t start) {
    for (size_t i = start; i + 1 < src_.size(); ++i) {
      if (src_[i] != '{' || src_[i + 1] != '%') continue;
      size_t j = i + 2;
      char marker = j < src_.size() ? src_[j] : '\0';
      if (marker == '-' || marker == '+') ++j;
      j = SkipSpace(src_, j);
      if (!StartsAt(src_, j, "endraw")) continue;
      j = SkipSpace(src_, j + 6);
      size_t end = MatchBlockEnd(j, '%');
      if (end == std::string::npos) continue;
      std::string data = src_.substr(start, i - start);
      if (marker == '-') {
        RStrip(data);
      } else if (marker != '+' && options_.lstrip_blocks) {
        size_t line_start = data.rfind('\n');
        line_start = line_start == std::string::npos ? 0 : line_start + 1;
        bool line_starting = line_start > 0 || start == 0 || src_[start - 1] == '\n';
        if (line_starting && data.find_first_not_of(" \t\v\f\r", line_start) == std::string::npos) {
          data.resize(line_start);
        }
      }
      Emit(TokenKind::kText, std::move(data), start);
      return end;
    }
    return LexError(src_, start, "missing end of raw directive");
  }

  Result<size_t> LexVariable(size_t tag, size_t body) {
    Emit(TokenKind::kVarBegin, "", tag);
    return LexExpression(body, '}');
  }

  // Lexes expression tokens until the tag's end; `close` is '%' for blocks, '}' for
  // variables. Returns the position after the end marker.
  Result<size_t> LexExpression(size_t i, char close) {
    std::vector<char> brackets;
    while (true) {
      i = SkipSpace(src_, i);
      if (i >= src_.size()) return LexError(src_, i, close == '%' ? "unexpected end of template, expected '%}'"
                                                                 : "unexpected end of template, expected '}}'");
      if (brackets.empty()) {
        size_t end = std::string::npos;
        if (close == '%') {
          end = MatchBlockEnd(i, '%');
        } else if (StartsAt(src_, i, "-}}")) {
          end = SkipSpace(src_, i + 3);
        } else if (StartsAt(src_, i, "}}")) {
          end = i + 2;
        }
        if (end != std::string::npos) {
          Emit(close == '%' ? TokenKind::kBlockEnd : TokenKind::kVarEnd, "", i);
          return end;
        }
      }
      char c = src_[i];
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[j])) || src_[j] == '_')) ++j;
        Emit(TokenKind::kName, src_.substr(i, j - i), i);
        i = j;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        Result<size_t> next = LexNumber(i);
        if (!next.ok()) return next.status();
        i = *next;
      } else if (c == '\'' || c == '"') {
        Result<size_t> next = LexString(i);
        if (!next.ok()) return next.status();
        i = *next;
      } else {
        static const char* kOps[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(",
                                     ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};
        std::string op;
        for (const char* candidate : kOps) {
          if (StartsAt(src_, i, candidate)) {
            op = candidate;
            break;
          }
        }
        if (op.empty()) return LexError(src_, i, std::string("unexpected character '") + c + "'");
        if (op == "(" || op == "[" || op == "{") {
          if (brackets.size() > 256) return LexError(src_, i, "brackets nested too deeply");
          brackets.push_back(op == "(" ? ')' : op == "[" ? ']' : '}');
        } else if (op == ")" || op == "]" || op == "}") {
          if (brackets.empty()) return LexError(src_, i, "unexpected '" + op + "'");
          if (brackets.back() != op[0]) {
            return LexError(src_, i, std::string("unexpected '") + op + "', expected '" + brackets.back() + "'");
          }
          brackets.pop_back();
        }
        Emit(TokenKind::kOp, op, i);
        i += op.size();
      }
    }
  }

  Result<size_t> LexNumber(size_t i) {
    size_t j = i;
    auto digits = [&] {
      while (j < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[j])) ||
                                 (src_[j] == '_' && j + 1 < src_.size() && std::isdigit(static_cast<unsigned char>(src_[j + 1])))))
        ++j;
    };
    digits();
    bool is_float = false;
    if (j + 1 < src_.size() && src_[j] == '.' && std::isdigit(static_cast<unsigned char>(src_[j + 1]))) {
      is_float = true;
      ++j;
      digits();
    }
    if (j < src_.size() && (src_[j] == 'e' || src_[j] == 'E')) {
      size_t k = j + 1;
      if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) ++k;
      if (k < src_.size() && std::isdigit(static_cast<unsigned char>(src_[k]))) {
        is_float = true;
        j = k;
        digits();
      }
    }
    std::string text;
    for (size_t k = i; k < j; ++k) {
      if (src_[k] != '_') text += src_[k];
    }
    Emit(is_float ? TokenKind::kFloat : TokenKind::kInt, std::move(text), i);
    return j;
  }

  // Python string-literal escapes (jinja2 decodes with unicode-escape).
  Result<size_t> LexString(size_t i) {
    char quote = src_[i];
    std::string out;
    size_t j = i + 1;
    while (j < src_.size() && src_[j] != quote) {
      char c = src_[j];
      if (c != '\\' || j + 1 >= src_.size()) {
        out += c;
        ++j;
        continue;
      }
      char e = src_[j + 1];
      j += 2;
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '\n': break;
        case 'x': case 'u': case 'U': {
          size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (j + n > src_.size()) return LexError(src_, j, "truncated \\" + std::string(1, e) + " escape");
          uint32_t cp = 0;
          for (size_t k = 0; k < n; ++k) {
            char h = src_[j + k];
            if (!std::isxdigit(static_cast<unsigned char>(h))) return LexError(src_, j, "invalid escape");
            cp = cp * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
          }
          if (cp > 0x10ffff) return LexError(src_, j, "invalid escape");
          tokenizer::AppendUtf8(cp, out);
          j += n;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t cp = e - '0';
            for (int k = 0; k < 2 && j < src_.size() && src_[j] >= '0' && src_[j] <= '7'; ++k) cp = cp * 8 + (src_[j++] - '0');
            tokenizer::AppendUtf8(cp, out);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    if (j >= src_.size()) return LexError(src_, i, "unterminated string");
    Emit(TokenKind::kString, std::move(out), i);
    return j + 1;
  }

  const std::string& src_;
  LexerOptions options_;
  std::vector<Token> tokens_;
};

}  // namespace

std::string DescribePosition(const std::string& source, size_t pos) {
  size_t line = 1;
  size_t col = 1;
  for (size_t i = 0; i < pos && i < source.size(); ++i) {
    if (source[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

Result<std::vector<Token>> Tokenize(std::string& source, const LexerOptions& options) {
  std::string normalized;
  normalized.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      normalized += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      normalized += source[i];
    }
  }
  if (!normalized.empty() && normalized.back() == '\n') normalized.pop_back();  // keep_trailing_newline=False
  source = std::move(normalized);
  return Lexer(source, options).Run();
}

}  // namespace sgl::jinja
