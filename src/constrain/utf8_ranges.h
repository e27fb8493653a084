// Turns sets of Unicode code points into byte-level Exprs that match exactly their UTF-8
// encodings (surrogates U+D800..U+DFFF are never encodable and are left out).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "constrain/expr.h"

namespace sgl::constrain {

// Inclusive code point ranges; need not be sorted or disjoint.
using CodePointRanges = std::vector<std::pair<uint32_t, uint32_t>>;

inline constexpr uint32_t kMaxCodePoint = 0x10FFFF;

// Sorted, merged, surrogates and values above U+10FFFF removed.
CodePointRanges NormalizeRanges(CodePointRanges ranges);
// The complement within [0, U+10FFFF] (surrogates excluded).
CodePointRanges ComplementRanges(const CodePointRanges& ranges);
// An Expr matching one code point of `ranges`, as UTF-8 bytes.
Expr CodePointRangesExpr(const CodePointRanges& ranges);
// UTF-8 encoding of one code point (REQUIRES: valid scalar value).
std::string EncodeUtf8(uint32_t code_point);

}  // namespace sgl::constrain
