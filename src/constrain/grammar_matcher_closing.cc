// GrammarMatcher's budgeted mask by one walk of the token trie per stack, instead of a
// check per token, where many tokens would need one: every stack farther than the byte
// limit from the grammar's end (only tokens that bring one closer may stay), or one stack
// within it whose growth bound leaves many tokens in doubt.
//
// Why the walk may skip most of the vocabulary. Call a state "plain" when it has no calls
// and cannot end its rule: a stack whose top is plain reads a byte into exactly one stack,
// and its distance is its top's distance plus the frames' below. A stack's region is a
// set of plain states reachable from its top through plain states, all of them:
//  - "far" (the stack is beyond the limit): no closer to their rule's end than the top. A
//    token whose path stays inside leaves one stack at least as far as the one it came
//    from, beyond the limit: this stack does not keep it;
//  - "near" (the stack is within the limit, and alone): close enough that, with the frames
//    below, the stack stays within the limit. A token whose path stays inside is kept.
// A trie subtree entered in the region whose bytes keep every region state inside it (or
// are refused by it), or keep its state on itself, holds only such tokens (or refused
// ones), and is skipped whole.
// Elsewhere, while the path stays on plain states, a token is decided by its last state's
// distance (one table lookup per trie node); once it reaches a state that is not plain it
// is followed on real stacks (PdaRunner). So a token is decided exactly (some stack it
// leads to within the limit), and a subtree is cut where no stack is left.
#include <algorithm>

#include "constrain/grammar_matcher.h"

namespace sgl::constrain {
namespace {

// Past this many states a region costs more to find than its skips save: then only a
// state's own self-loops skip subtrees.
constexpr size_t kMaxRegionStates = 256;

inline void SetBit(std::span<uint32_t> mask, int32_t id) { mask[id >> 5] |= 1u << (id & 31); }
inline void ClearBit(std::span<uint32_t> mask, int32_t id) { mask[id >> 5] &= ~(1u << (id & 31)); }

}  // namespace

bool GrammarMatcher::InRegion(int32_t state) const {
  const GrammarAutomaton& a = grammar_->automaton();
  const int64_t d = grammar_->end_distances().to_rule_end(state);
  return a.calls(state).empty() && !a.accepting(state) && d >= region_.lo && d <= region_.hi;
}

void GrammarMatcher::FindRegion(int32_t top, int64_t lo, int64_t hi) {
  const GrammarAutomaton& a = grammar_->automaton();
  region_.lo = lo;
  region_.hi = hi;
  region_.states.assign(1, top);
  if (region_.seen.size() < static_cast<size_t>(a.num_states())) region_.seen.assign(a.num_states(), 0);
  if (++region_.epoch == 0) {
    std::fill(region_.seen.begin(), region_.seen.end(), 0u);
    region_.epoch = 1;
  }
  region_.seen[top] = region_.epoch;
  region_.stay = ByteSet::Range(0, 255);
  for (size_t i = 0; i < region_.states.size(); ++i) {
    for (int b = 0; b < 256; ++b) {
      const int32_t t = a.Next(region_.states[i], static_cast<uint8_t>(b));
      if (t < 0) continue;
      if (!InRegion(t)) {
        region_.stay.Remove(static_cast<uint8_t>(b));
      } else if (region_.seen[t] != region_.epoch) {
        if (region_.states.size() == kMaxRegionStates) {  // too large: only self-loops skip
          region_.stay = ByteSet();
          return;
        }
        region_.seen[t] = region_.epoch;
        region_.states.push_back(t);
      }
    }
  }
}

const ByteSet& GrammarMatcher::SelfLoop(int32_t state) {
  const GrammarAutomaton& a = grammar_->automaton();
  if (self_loops_.empty()) self_loops_.assign(a.num_states(), std::nullopt);
  std::optional<ByteSet>& loop = self_loops_[state];
  if (!loop) {
    loop.emplace();
    for (int b = 0; b < 256; ++b)
      if (a.Next(state, static_cast<uint8_t>(b)) == state) loop->Add(static_cast<uint8_t>(b));
  }
  return *loop;
}

void GrammarMatcher::WalkPlain(int32_t node, int32_t state, int32_t stack, int32_t depth, const WalkGoal& goal,
                               std::span<uint32_t> mask) {
  const GrammarAutomaton& a = grammar_->automaton();
  const TokenVocabulary& v = grammar_->vocab();
  const TrieNode& n = v.trie()[node];
  for (int32_t i = n.child_begin; i < n.child_end; ++i) {
    const int32_t c = v.trie_children()[i];
    const uint8_t b = v.trie()[c].byte;
    const int32_t t = a.Next(state, b);
    if (t < 0) continue;
    if (!a.calls(t).empty() || a.accepting(t)) {
      // Not plain: from here on, real stacks. The path is on `state` over the frames
      // below `stack`.
      StackSet& from = walk_levels_[depth];
      from.ready.assign(1, depth == 0 ? stack : pool_.Intern(state, pool_.node(stack).parent));
      from.can_end = false;
      runner_.Advance(from, b, walk_levels_[depth + 1]);
      WalkStacks(c, depth + 1, goal, mask);
      continue;
    }
    // Every token below stays in the region (or on t itself) or is refused: decided as
    // the default says.
    if (InRegion(t) && (v.bytes_below(c).IsSubsetOf(region_.stay) || v.bytes_below(c).IsSubsetOf(SelfLoop(t)))) continue;
    const TrieNode& cn = v.trie()[c];
    if (cn.own_end > cn.token_begin) {
      const int64_t after = std::min(grammar_->end_distances().to_rule_end(t) + goal.below, EndDistances::kUnreachable);
      Decide(cn, after <= goal.max_bytes, goal, mask);
    }
    WalkPlain(c, t, stack, depth + 1, goal, mask);
  }
}

void GrammarMatcher::Decide(const TrieNode& n, bool within, const WalkGoal& goal, std::span<uint32_t> mask) const {
  const std::vector<int32_t>& tokens = grammar_->vocab().trie_tokens();
  for (int32_t i = n.token_begin; i < n.own_end; ++i) {
    if (within && !goal.clear) SetBit(mask, tokens[i]);
    if (!within && goal.clear) ClearBit(mask, tokens[i]);
  }
}

void GrammarMatcher::WalkStacks(int32_t node, int32_t depth, const WalkGoal& goal, std::span<uint32_t> mask) {
  const TokenVocabulary& v = grammar_->vocab();
  const StackSet& set = walk_levels_[depth];
  if (set.ready.empty() && !set.can_end) return;
  const TrieNode& n = v.trie()[node];
  if (n.own_end > n.token_begin) Decide(n, MinDistance(set) <= goal.max_bytes, goal, mask);
  if (set.ready.empty()) return;
  for (int32_t i = n.child_begin; i < n.child_end; ++i) {
    const int32_t c = v.trie_children()[i];
    runner_.Advance(walk_levels_[depth], v.trie()[c].byte, walk_levels_[depth + 1]);
    WalkStacks(c, depth + 1, goal, mask);
  }
}

bool GrammarMatcher::FillByTrieWalk(std::span<uint32_t> bitmask, int64_t max_bytes, bool far) {
  const std::vector<int32_t>& ready = current().ready;
  const EndDistances& d = grammar_->end_distances();
  if (!far && ready.size() != 1) return false;
  walk_levels_.resize(static_cast<size_t>(grammar_->vocab().max_token_bytes()) + 2);
  // Far: the mask is built up from nothing (no stop token: the grammar cannot end here);
  // near: the plain mask is cut down.
  if (far) std::fill(bitmask.begin(), bitmask.end(), 0u);
  for (int32_t s : ready) {
    // Far: every stack; near: the one stack, whose region keeps it within max_bytes.
    const int32_t top = pool_.node(s).state;
    const int64_t below = StackDistance(pool_.node(s).parent);
    if (far) FindRegion(top, d.to_rule_end(top), EndDistances::kUnreachable);
    else FindRegion(top, 0, max_bytes - below);
    WalkPlain(0, top, s, 0, {max_bytes, below, !far}, bitmask);
  }
  return true;
}

}  // namespace sgl::constrain
