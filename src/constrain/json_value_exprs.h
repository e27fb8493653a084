// Building blocks of JSON grammars as Exprs: strings (with length bounds), numbers,
// integer ranges spelled out digit by digit, string formats, and making a regex safe to
// sit inside a JSON string. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
// A JSON number in [lo, hi]: integers in range, plus fractions (of either sign) whose
// integer part keeps the value inside whatever digits follow the point.
Expr JsonBoundedNumberExpr(std::optional<int64_t> lo, std::optional<int64_t> hi);
// The rest of a JSON string after its opening quote: characters, then the closing quote.
Expr JsonStringRestExpr();
// A quoted JSON string whose content is none of `names` (an object key that must not
// repeat a declared property). `rest` matches the remainder of a string after its
// opening quote (JsonStringRestExpr, or a rule holding it so it is built once). Keys are
// followed byte by byte while they spell a prefix of some name; there, escapes and
// non-ASCII characters that could continue a name are refused (so no spelling of a name
// slips through), after the first differing character anything goes.
Expr JsonStringExceptExpr(const std::vector<std::string>& names, const Expr& rest);
// The quoted string for `format`; nullopt for an unknown format (plain string then).
std::optional<Expr> JsonFormatExpr(std::string_view format);
// "..." whose content matches `pattern` (a search, as JSON Schema means it: unanchored
// sides may have anything). Bytes that would break the JSON string are removed.
Result<Expr> JsonPatternStringExpr(std::string_view pattern);

}  // namespace sgl::constrain
