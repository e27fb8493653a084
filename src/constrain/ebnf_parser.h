// ParseEbnf: GBNF-style grammars (llama.cpp's syntax, which SGLang's `ebnf` parameter
// takes through xgrammar) -> Grammar. `name ::= body` rules (a rule ends where the next
// `name ::=` begins), "strings" and 'strings', [classes] with ranges and ^negation, `.`
// (any code point), ( groups ), alternation |, postfix * + ? {m} {m,} {m,n}, # comments,
// escapes \n \t \r \\ \" \' \[ \] \- \xHH \uHHHH \UHHHHHHHH. The root rule is `root`.
// Errors name the line and what is wrong (unknown rule, left recursion, lookahead...).
#pragma once

#include <string_view>

#include "base/status.h"
#include "constrain/grammar.h"

namespace sgl::constrain {

Result<Grammar> ParseEbnf(std::string_view text, std::string_view root_name = "root");

}  // namespace sgl::constrain
