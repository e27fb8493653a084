// GrammarMatcher's budget-aware mask: a constrained request near its max_new_tokens is
// steered to finish its grammar in time instead of being cut mid-way.
//
// Why the request always finishes. Let R be the tokens left (the next one included) and
// m = MinBytesToEnd(). Suppose m + 1 <= R (the budget "suffices"). The mask keeps a
// content token only if at most R - 2 bytes end the grammar after it, and keeps the stop
// tokens where the grammar can end. Then:
//  - it is never empty: if m = 0 the grammar can end and a stop token is kept; otherwise
//    some m bytes end the grammar, and the first of them is a token by itself (distances
//    count only bytes that are, EndDistances), which the grammar allows and after which
//    m - 1 <= R - 2 bytes remain, so it is kept;
//  - after a kept content token, m' <= R - 2 = (R - 1) - 1 with R - 1 tokens left: the
//    budget still suffices;
//  - the budget can never suffice with R = 0, so the request ends with a stop token at
//    the latest as its last allowed token.
// Writing the m bytes as m single-byte tokens is why bytes bound tokens. A grammar that
// can only end through a byte with no token of its own has m = kUnreachable: no steering.
#include <algorithm>
#include <bit>

#include "constrain/grammar_matcher.h"

namespace sgl::constrain {
namespace {

// Past this many tokens in doubt, the trie walk (grammar_matcher_closing.cc) is cheaper
// than checking them one by one (measured on the bench/constrain_bench.cc corpus).
constexpr int32_t kWalkAbove = 256;

// Whether `mask` allows some token other than the vocabulary's stop tokens.
bool AllowsContent(std::span<const uint32_t> mask, const TokenVocabulary& v) {
  int64_t n = 0;
  for (uint32_t w : mask) n += std::popcount(w);
  for (int32_t id : v.stop_ids()) n -= (mask[id >> 5] >> (id & 31)) & 1;
  return n > 0;
}

inline bool GetBit(std::span<const uint32_t> mask, int32_t id) { return (mask[id >> 5] >> (id & 31)) & 1; }
inline void ClearBit(std::span<uint32_t> mask, int32_t id) { mask[id >> 5] &= ~(1u << (id & 31)); }

}  // namespace

int64_t GrammarMatcher::StackDistance(int32_t stack) const {
  const EndDistances& d = grammar_->end_distances();
  int64_t sum = 0;
  for (int32_t n = stack; n >= 0; n = pool_.node(n).parent)
    sum = std::min(sum + d.to_rule_end(pool_.node(n).state), EndDistances::kUnreachable);
  return sum;
}

int64_t GrammarMatcher::ReachBound(int32_t stack) {
  const EndDistances& d = grammar_->end_distances();
  frames_.clear();
  for (int32_t n = stack; n >= 0; n = pool_.node(n).parent) frames_.push_back(pool_.node(n).state);
  int64_t below = 0, bound = 0;
  for (auto f = frames_.rbegin(); f != frames_.rend(); ++f) {
    bound = std::max(bound, std::min(d.max_reachable(*f) + below, EndDistances::kUnreachable));
    below = std::min(below + d.to_rule_end(*f), EndDistances::kUnreachable);
  }
  return bound;
}

int64_t GrammarMatcher::MinDistance(const StackSet& set) const {
  if (set.can_end) return 0;
  int64_t best = EndDistances::kUnreachable;
  for (int32_t s : set.ready) best = std::min(best, StackDistance(s));
  return best;
}

int64_t GrammarMatcher::MinBytesToEnd() const { return terminated() ? 0 : MinDistance(current()); }

// Each stack's top rule first, by table lookups alone (only stacks whose top reads the
// first byte): a path inside it that ends close enough is a witness. Failing that, while
// every state the token passes through is plain (no calls, cannot end its rule) that path
// was the stack's only one, and where it ended exact (a state's closure is as close to the
// end as the state). Only when some path leaves its plain states is the token run
// through the whole set.
bool GrammarMatcher::TokenEndsWithin(std::string_view bytes, int64_t max_bytes) {
  const GrammarAutomaton& a = grammar_->automaton();
  const uint8_t first = static_cast<uint8_t>(bytes[0]);
  const std::span<const int32_t> tops(tops_by_byte_.data() + top_begin_[first], tops_by_byte_.data() + top_begin_[first + 1]);
  for (int32_t t : tops) {
    int32_t q = tops_[t].state;
    for (size_t i = 0; i < bytes.size() && q >= 0; ++i) q = a.Next(q, static_cast<uint8_t>(bytes[i]));
    if (q >= 0 && grammar_->end_distances().to_rule_end(q) + tops_[t].distance_below <= max_bytes) return true;
  }
  for (int32_t t : tops) {
    int32_t q = a.Next(tops_[t].state, first);
    for (size_t i = 1; i < bytes.size() && q >= 0; ++i) {
      if (!a.calls(q).empty() || a.accepting(q)) {
        StackSet after;
        return Run(current(), bytes, after) && MinDistance(after) <= max_bytes;
      }
      q = a.Next(q, static_cast<uint8_t>(bytes[i]));
    }
  }
  return false;
}

void GrammarMatcher::IndexTops() {
  std::sort(tops_.begin(), tops_.end(), [](const TopFrame& x, const TopFrame& y) {
    return x.state != y.state ? x.state < y.state : x.distance_below < y.distance_below;
  });
  tops_.erase(std::unique(tops_.begin(), tops_.end(), [](const TopFrame& x, const TopFrame& y) { return x.state == y.state; }),
              tops_.end());
  const GrammarAutomaton& a = grammar_->automaton();
  tops_by_byte_.clear();
  for (int b = 0; b < 256; ++b) {
    top_begin_[b] = static_cast<int32_t>(tops_by_byte_.size());
    for (size_t t = 0; t < tops_.size(); ++t)
      if (a.Next(tops_[t].state, static_cast<uint8_t>(b)) >= 0) tops_by_byte_.push_back(static_cast<int32_t>(t));
  }
  top_begin_[256] = static_cast<int32_t>(tops_by_byte_.size());
}

void GrammarMatcher::FillBudgetedTokenBitmask(std::span<uint32_t> bitmask, int64_t num_remaining_tokens) {
  FillNextTokenBitmask(bitmask);
  const TokenVocabulary& v = grammar_->vocab();
  const int64_t min_bytes = MinBytesToEnd();
  if (terminated() || min_bytes + 1 > num_remaining_tokens) return;
  const int64_t max_bytes_after = num_remaining_tokens - 2;  // then a stop token
  if (max_bytes_after < 0) {  // one token left (the grammar can end, m = 0): a stop token
    std::fill(bitmask.begin(), bitmask.end(), 0u);
    for (int32_t id : v.stop_ids()) bitmask[id >> 5] |= 1u << (id & 31);
    return;
  }
  // The common case, far from the cap: no stack the grammar can reach from here, by any
  // tokens, is farther from the end than the limit, so no token needs a look.
  const std::vector<int32_t>& ready = current().ready;
  if (std::all_of(ready.begin(), ready.end(), [&](int32_t s) { return ReachBound(s) <= max_bytes_after; })) return;
  // Every stack too far: only tokens that bring one closer can stay (one trie walk each).
  if (min_bytes > max_bytes_after && FillByTrieWalk(bitmask, max_bytes_after, true)) return;
  // Otherwise: a token raises no stack's distance by more than the sum of its bytes'
  // growths (TokenGrowthOrder), so a token whose sum is within the slack of the farthest
  // stack leaves every resulting stack within the limit, and only those growing more
  // (a prefix of the order, few outside whitespace-free structure bytes) are checked.
  int64_t max_distance = 0;
  tops_.clear();
  for (int32_t s : current().ready) {
    const StackNode& n = pool_.node(s);
    tops_.push_back({n.state, StackDistance(n.parent)});
    max_distance = std::max(max_distance, tops_.back().distance_below + grammar_->end_distances().to_rule_end(n.state));
  }
  const TokenGrowthOrder& order = grammar_->token_growth_order();
  const int32_t num_checked = order.num_growing_more_than(max_bytes_after - max_distance);
  if (num_checked == 0) return;
  // Many in doubt: one walk of the trie beats a check each (where it applies).
  if (num_checked > kWalkAbove && FillByTrieWalk(bitmask, max_bytes_after, false)) return;
  IndexTops();
  const std::span<const int32_t> ids = order.ids();
  for (int32_t i = 0; i < num_checked; ++i) {
    if (GetBit(bitmask, ids[i]) && !TokenEndsWithin(v.token_bytes(ids[i]), max_bytes_after)) ClearBit(bitmask, ids[i]);
  }
}

// min_new_tokens: the request may not stop for its next `num_without_stop` tokens. The
// proof above reserves the last token for a stop; it still holds when that last token
// comes at or after min_new_tokens (num_without_stop < num_remaining_tokens) and the
// content goes on until then, which the mask allows unless it is left with stop tokens
// alone (the grammar can end now and every content token leads too far, e.g. `(ab)*`
// after "ab" with 2 tokens left). Then, and whenever no stop can come before the limit
// at all, the request can only end at its length limit, and it is still complete if the
// grammar can end there: the same steering with one more token (the stop's) for content,
// whose proof is the same with "ends" for "can stop". Where even that leaves no content
// (or is too short), the budget yields to the plain mask: the accepted language never
// changes, and an error (nothing allowed) stays where the plain mask allows nothing.
void GrammarMatcher::FillBudgetedTokenBitmask(std::span<uint32_t> bitmask, int64_t num_remaining_tokens,
                                              int64_t num_without_stop) {
  if (num_without_stop <= 0 || terminated()) return FillBudgetedTokenBitmask(bitmask, num_remaining_tokens);
  const TokenVocabulary& v = grammar_->vocab();
  const int64_t m = MinBytesToEnd();
  if (num_without_stop < num_remaining_tokens && m + 1 <= num_remaining_tokens) {
    FillBudgetedTokenBitmask(bitmask, num_remaining_tokens);
    if (AllowsContent(bitmask, v)) return;
  }
  if (m <= num_remaining_tokens) {
    FillBudgetedTokenBitmask(bitmask, num_remaining_tokens + 1);
    if (AllowsContent(bitmask, v)) return;
  }
  FillNextTokenBitmask(bitmask);
}

}  // namespace sgl::constrain
