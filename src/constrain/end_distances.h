// EndDistances: for each state of a GrammarAutomaton, the fewest bytes that finish its
// rule (a rule reference costs the fewest bytes of the callee's rule), counting only paths
// over "writable" bytes (those the vocabulary has a one-byte token for), and a bound on
// how much one byte can raise a stack's distance to the grammar's end (one bound for the
// grammar and a tighter one per byte value). Computed once at compile time; immutable
// afterwards, share it freely.
//
// A stack's distance to the end is the sum over its frames of each frame state's
// distance (the top frame finishes its rule, then each return state finishes its own).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "constrain/byte_set.h"
#include "constrain/grammar_automaton.h"

namespace sgl::constrain {

class EndDistances {
 public:
  // A distance no finite string reaches (a rule that can only recurse forever).
  static constexpr int64_t kUnreachable = int64_t{1} << 40;

  static EndDistances Compute(const GrammarAutomaton& automaton, const ByteSet& writable);

  // The fewest writable bytes from `state` to an accepting state of its rule (0 when
  // accepting; kUnreachable when none end it).
  int64_t to_rule_end(int32_t state) const { return dist_[state]; }
  // Reading one byte from a stack and closing it (calls expanded, finished rules popped)
  // never raises a resulting byte-reading stack's distance by more than this.
  int64_t max_growth_per_byte() const { return max_growth_per_byte_; }
  // The same for byte value `b` alone (negative when every edge reading it gets closer
  // to the end; kUnreachable when unbounded or no state reads it). Summed over a string's
  // bytes it bounds the string's growth: each stack after byte i descends from one after
  // byte i - 1.
  int64_t growth_of_byte(uint8_t b) const { return growth_of_byte_[b]; }
  // No stack reachable from `state` on an empty stack, by any bytes, before its frame
  // pops, has a larger distance (kUnreachable where recursion makes it unbounded).
  int64_t max_reachable(int32_t state) const { return reach_[state]; }

  struct ByteEdge {
    int32_t source, target;
    bool writable;  // some byte of the edge is
  };

 private:
  void ComputeDistances(const GrammarAutomaton& a, std::span<const ByteEdge> edges);
  void ComputeGrowthBound(const GrammarAutomaton& a, std::span<const ByteEdge> edges);
  void ComputeGrowthByByte(const GrammarAutomaton& a, std::span<const int64_t> peak);
  void ComputeReachBound(const GrammarAutomaton& a, std::span<const ByteEdge> edges);

  std::vector<int64_t> dist_;
  int64_t max_growth_per_byte_ = 0;
  std::array<int64_t, 256> growth_of_byte_{};
  std::vector<int64_t> reach_;
};

}  // namespace sgl::constrain
