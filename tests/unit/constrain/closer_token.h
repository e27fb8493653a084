// CloserToken: for random walks through a JSON grammar (the constrain corpus test and
// bench), the allowed token that brings the text to an end soonest once a walk has run
// long enough. Shared so that the test and the benchmark walk the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "constrain/token_vocabulary.h"

namespace sgl::constrain::testing {

// Past the soft limit: close the open string, else close a bracket, else finish an
// email-like pattern; `fallback` when none of those bytes is allowed.
inline int32_t Closer(const TokenVocabulary& v, const std::vector<int32_t>& ids, const std::string& text, int32_t fallback) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (in_string && text[i] == '\\') ++i;
    else if (text[i] == '"') in_string = !in_string;
  }
  // Bytes that bring a string or structure to its end soonest, best first.
  std::string_view order = in_string ? "\"@:.a0" : "}],0\"a";
  int32_t best = fallback;
  size_t best_rank = order.size();
  for (int32_t c : ids) {
    const std::string& s = v.token_bytes(c);
    size_t rank = s.size() == 1 ? order.find(s[0]) : std::string_view::npos;
    // A byte repeated 8 times without closing anything is a loop: try the next one.
    if (rank != std::string_view::npos && text.size() >= 8 && text.find_first_not_of(s[0], text.size() - 8) == std::string::npos) {
      rank = std::string_view::npos;
    }
    if (rank != std::string_view::npos && rank < best_rank) best = c, best_rank = rank;
  }
  return best;
}

}  // namespace sgl::constrain::testing
