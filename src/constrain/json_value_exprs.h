// Building blocks of JSON grammars as Exprs: strings (with length bounds), numbers,
// integer ranges spelled out digit by digit, string formats, and making a regex safe to
// sit inside a JSON string. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/status.h"
#include "constrain/expr.h"

namespace sgl::constrain {

// One character of a JSON string's content: an unescaped code point or an escape.
Expr JsonStringCharExpr();
// "..." with between min_len and max_len characters.
Expr JsonStringExpr(int32_t min_len = 0, std::optional<int32_t> max_len = std::nullopt);
Expr JsonNumberExpr();
// A JSON integer in [lo, hi] (either end open when nullopt).
Expr JsonIntegerExpr(std::optional<int64_t> lo, std::optional<int64_t> hi);
// A JSON number in [lo, hi]: integers in range, plus fractions where the integer part
// keeps the value inside (non-negative integer parts only).
Expr JsonBoundedNumberExpr(std::optional<int64_t> lo, std::optional<int64_t> hi);
// The quoted string for `format`; nullopt for an unknown format (plain string then).
std::optional<Expr> JsonFormatExpr(std::string_view format);
// "..." whose content matches `pattern` (a search, as JSON Schema means it: unanchored
// sides may have anything). Bytes that would break the JSON string are removed.
Result<Expr> JsonPatternStringExpr(std::string_view pattern);

}  // namespace sgl::constrain
