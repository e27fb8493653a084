// HF tokenizers' split semantics, shared by the pre-tokenizers: a pattern cuts a piece
// into matched and unmatched spans, and the behavior decides what becomes of the
// matched ones (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous).
// Pure functions; thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "tokenizer/pre_tokenizer.h"

namespace sgl::tokenizer {

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// tokenizer.json spells behaviors "Removed", "Isolated", ...
Result<SplitBehavior> ParseBehavior(const std::string& name);

// [begin, end) byte ranges of the matches in a piece, left to right, not overlapping.
using FindMatches = std::function<std::vector<std::pair<size_t, size_t>>(std::string_view)>;

// Replaces every piece by its parts; with `invert` the unmatched spans are the matches.
void SplitPieces(std::vector<PreToken>& pieces, SplitBehavior behavior, bool invert, const FindMatches& find);

// Matches of single code points for which `is_match` holds, one match per code point.
std::vector<std::pair<size_t, size_t>> MatchChars(std::string_view text, const std::function<bool(char32_t)>& is_match);

}  // namespace sgl::tokenizer
