// Parser: tokens -> statement tree, with jinja2's grammar and operator precedence.
// Pure function; errors carry the line and column.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "tokenizer/chat_template/ast.h"
#include "tokenizer/chat_template/lexer.h"

namespace sgl::jinja {

// `source` is the normalized source the tokens came from (for error positions).
Result<Body> Parse(const std::vector<Token>& tokens, const std::string& source);

}  // namespace sgl::jinja
