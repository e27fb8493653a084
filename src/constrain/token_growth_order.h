// TokenGrowthOrder: a grammar's ordinary tokens ordered by how far each can move a stack
// away from the grammar's end: the sum of EndDistances::growth_of_byte over its bytes,
// largest first. The budgeted mask then finds the few tokens that need a closer look as a
// prefix of this order (most tokens, words inside strings, have growth <= 0). Built once
// per compiled grammar; immutable, share it freely.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "constrain/end_distances.h"
#include "constrain/token_vocabulary.h"

namespace sgl::constrain {

class TokenGrowthOrder {
 public:
  TokenGrowthOrder() = default;
  TokenGrowthOrder(const TokenVocabulary& vocab, const EndDistances& distances);

  // The ordinary token ids, largest growth first.
  std::span<const int32_t> ids() const { return ids_; }
  // Reading any token after the first num_growing_more_than(x) of ids() leaves no
  // byte-reading stack more than x farther from the end than the stack it started from.
  int32_t num_growing_more_than(int64_t x) const;

 private:
  // Growths are bucketed exactly within [-kSpan, kSpan]; lower ones count as -kSpan, higher
  // ones as unbounded (both only ever make a token looked at more, never less).
  static constexpr int64_t kSpan = 4096;
  static int32_t Bucket(int64_t growth);  // 0: unbounded, then kSpan down to -kSpan

  std::vector<int32_t> ids_;
  std::vector<int32_t> bucket_begin_;  // where each bucket starts in ids_, and the end
};

}  // namespace sgl::constrain
