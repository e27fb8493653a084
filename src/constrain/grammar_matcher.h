// GrammarMatcher: one request's position in a CompiledGrammar. Accepts tokens, fills the
// next-token bitmask, says when EOS may come, rolls back accepted tokens (retraction,
// speculative decoding) and finds forced continuations (jump-forward). Not thread-safe:
// one request, one thread at a time; the CompiledGrammar it holds is shared and immutable.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "constrain/compiled_grammar.h"
#include "constrain/pda_runner.h"
#include "constrain/stack_pool.h"

namespace sgl::constrain {

class GrammarMatcher {
 public:
  explicit GrammarMatcher(std::shared_ptr<const CompiledGrammar> grammar);
  GrammarMatcher(const GrammarMatcher&) = delete;
  GrammarMatcher& operator=(const GrammarMatcher&) = delete;

  // Advances by token `id` when the grammar allows it; returns false (state unchanged)
  // otherwise. A stop token is allowed only where the grammar can end; it terminates.
  [[nodiscard]] bool AcceptToken(int32_t id);
  // Advances by raw bytes (e.g. a jump-forward string); false and unchanged if refused.
  // Counts as one step for Rollback.
  [[nodiscard]] bool AcceptString(std::string_view bytes);
  // Sets bit i of `bitmask` (word i / 32) iff token i may come next.
  // REQUIRES: bitmask.size() >= grammar().bitmask_words().
  void FillNextTokenBitmask(std::span<uint32_t> bitmask);
  // FillNextTokenBitmask steered to end in time. With `num_remaining_tokens` output tokens
  // left (the next one included) and one of them kept for a stop token, a content token is
  // kept only if the grammar can still end afterwards in the tokens left. Exactly
  // FillNextTokenBitmask when the budget is already too short (MinBytesToEnd() + 1 >
  // num_remaining_tokens). Never empty when that mask is not. REQUIRES: as
  // FillNextTokenBitmask.
  void FillBudgetedTokenBitmask(std::span<uint32_t> bitmask, int64_t num_remaining_tokens);
  // The same for a request whose next `num_without_stop` tokens may not be a stop token
  // (min_new_tokens; 0: the stop is allowed now, exactly the overload above). While the
  // stop is forbidden, a mask left with stop tokens alone would end the request in an
  // error, so the budget yields one step at a time (grammar_matcher_budget.cc says why):
  // first to "end within the tokens left, at the length limit" (still a complete output),
  // then to the plain mask. Never without a content token where the plain mask has one.
  void FillBudgetedTokenBitmask(std::span<uint32_t> bitmask, int64_t num_remaining_tokens, int64_t num_without_stop);
  // The fewest bytes after which the grammar can end, each one a token by itself: 0 when
  // CanEnd() or terminated, EndDistances::kUnreachable when no such string ends it.
  int64_t MinBytesToEnd() const;
  // The grammar accepts what was generated so far: a stop token may come next.
  bool CanEnd() const { return !terminated() && current().can_end; }
  // A stop token was accepted; nothing more is.
  bool IsTerminated() const { return terminated(); }
  // Undoes the last `num_steps` accepted tokens/strings. Returns InvalidArgument if fewer
  // were accepted (then nothing changes).
  Status Rollback(int32_t num_steps);
  // The bytes the grammar forces from here (empty when the next byte is a free choice or
  // the grammar may end here). Does not change the state.
  std::string FindJumpForwardString(size_t max_bytes = 4096);
  // Back to the start, as if just constructed.
  void Reset();
  int32_t num_steps() const { return static_cast<int32_t>(history_.size()) - 1; }
  const CompiledGrammar& grammar() const { return *grammar_; }

 private:
  struct Step {
    StackSet set;
    bool terminated = false;
  };
  const StackSet& current() const { return history_.back().set; }
  bool terminated() const { return history_.back().terminated; }
  // `from` after `bytes`; false if some byte is refused.
  bool Run(const StackSet& from, std::string_view bytes, StackSet& out);
  bool TokenFitsStack(int32_t stack, const std::string& bytes);
  // Distances to the grammar's end (grammar_matcher_budget.cc): of one stack, the least
  // over a set, and whether token `id` from the current set (whose ready stacks are
  // `tops`) leaves at most `max_bytes`.
  struct TopFrame {
    int32_t state;
    int64_t distance_below;  // of the frames under the top
  };
  int64_t StackDistance(int32_t stack) const;
  // The largest distance of any stack reachable from `stack` (EndDistances::max_reachable
  // of each frame, plus the frames below it).
  int64_t ReachBound(int32_t stack);
  int64_t MinDistance(const StackSet& set) const;
  bool TokenEndsWithin(std::string_view bytes, int64_t max_bytes);
  // tops_ deduplicated by state (the least distance below kept) and indexed by the first
  // byte each reads, into top_begin_ / tops_by_byte_.
  void IndexTops();
  void CompactPoolIfLarge();
  // The budgeted mask by trie walks (grammar_matcher_closing.cc). `far`: every ready
  // stack is beyond `max_bytes` and `bitmask` becomes the tokens after which some stack is
  // within it; otherwise the one ready stack is within it and `bitmask`, the plain mask,
  // loses the tokens that leave it beyond. False (bitmask untouched) where neither applies
  // (several stacks, not all beyond).
  bool FillByTrieWalk(std::span<uint32_t> bitmask, int64_t max_bytes, bool far);
  // A region (plain states, no calls and cannot end their rule, with distances in
  // [lo, hi]) reachable from a top, and `stay`: the bytes that keep every state of it
  // inside it or that it refuses.
  struct Region {
    int64_t lo = 0, hi = 0;
    std::vector<int32_t> states;
    ByteSet stay;
    std::vector<uint32_t> seen;  // epoch per state
    uint32_t epoch = 0;
  };
  struct WalkGoal {
    int64_t max_bytes;
    int64_t below;  // the distance of the walked stack's frames under its top
    bool clear;     // clear the tokens beyond max_bytes (else set those within)
  };
  bool InRegion(int32_t state) const;
  // Fills region_ from top state `top` (stay left empty where it would be too large).
  void FindRegion(int32_t top, int64_t lo, int64_t hi);
  // The bytes that keep `state` on itself (computed once per state, on first use).
  const ByteSet& SelfLoop(int32_t state);
  // The trie below `node` from one stack while its path stays on plain states (top
  // `state` over the frames below `stack`), then WalkStacks; Decide sets or clears the
  // tokens ending at a node as `goal` says.
  void WalkPlain(int32_t node, int32_t state, int32_t stack, int32_t depth, const WalkGoal& goal,
                 std::span<uint32_t> mask);
  void Decide(const TrieNode& n, bool within, const WalkGoal& goal, std::span<uint32_t> mask) const;
  void WalkStacks(int32_t node, int32_t depth, const WalkGoal& goal, std::span<uint32_t> mask);

  std::shared_ptr<const CompiledGrammar> grammar_;
  StackPool pool_;
  PdaRunner runner_;
  std::vector<Step> history_;
  StackSet scratch_a_, scratch_b_;
  std::vector<TopFrame> tops_;  // FillBudgetedTokenBitmask's scratch
  std::vector<int32_t> tops_by_byte_;                     // indexes into tops_...
  std::array<int32_t, 257> top_begin_{};                  // ...byte b's: [top_begin_[b], top_begin_[b + 1])
  std::vector<int32_t> frames_;  // ReachBound's scratch
  Region region_;                      // FillByTrieWalk's scratch...
  std::vector<StackSet> walk_levels_;  // ...one stack set per trie depth
  std::vector<std::optional<ByteSet>> self_loops_;  // SelfLoop's, by state
};

// Sets logits of tokens whose bit is clear (and those past the bitmask) to -infinity.
void ApplyTokenBitmask(std::span<float> logits, std::span<const uint32_t> bitmask);

}  // namespace sgl::constrain
