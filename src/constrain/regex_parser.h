// ParseRegex: the regex syntax people write for constrained generation -> a byte-level
// Expr that matches exactly the UTF-8 strings the whole pattern matches (full match).
// Supported: literals (UTF-8), escapes (\n \t \r \f \v \0 \xHH \x{H..} \uHHHH), `.`
// (any code point but \n), classes with ranges and negation, \d \w \s (ASCII, as PCRE2
// without UCP) and their negations, groups (capturing, (?:...), named), alternation,
// * + ? {m} {m,} {m,n} (lazy forms treated as greedy), ^ at the start and $ at the end.
// Rejected with a message naming the feature: backreferences, lookaround, word
// boundaries, possessive quantifiers, inline flags, \p{..} classes, anchors elsewhere.
#pragma once

#include <string_view>

#include "base/status.h"
#include "constrain/expr.h"

namespace sgl::constrain {

struct ParsedRegex {
  Expr expr;
  bool anchored_start = false;  // the pattern began with ^
  bool anchored_end = false;    // the pattern ended with $
};

struct RegexLimits {
  int32_t max_repeat = 10000;           // largest m or n in {m,n}
  int64_t max_expanded_size = 200000;   // Expr nodes after expanding repetitions
  int32_t max_depth = 200;              // group nesting
};

Result<ParsedRegex> ParseRegex(std::string_view pattern, const RegexLimits& limits = {});

}  // namespace sgl::constrain
