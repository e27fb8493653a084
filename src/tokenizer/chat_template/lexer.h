// Lexer: template source -> tokens, applying jinja2's whitespace rules as transformers
// configures them (trim_blocks, lstrip_blocks, `-`/`+` markers, one trailing newline
// dropped, \r\n normalized). Raw blocks become text. Pure function; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace sgl::jinja {

enum class TokenKind { kText, kVarBegin, kVarEnd, kBlockBegin, kBlockEnd, kName, kString, kInt, kFloat, kOp, kEof };

struct Token {
  TokenKind kind;
  std::string text;  // text, name, decoded string, number spelling or operator
  size_t pos;        // byte offset into the normalized source
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
};

// `source` is normalized in place (newlines); token positions refer to it.
Result<std::vector<Token>> Tokenize(std::string& source, const LexerOptions& options);

// "line L, column C" of a byte offset, for error messages.
std::string DescribePosition(const std::string& source, size_t pos);

}  // namespace sgl::jinja
