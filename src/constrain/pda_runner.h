// PdaRunner: moves sets of stacks of a GrammarAutomaton through bytes. A "ready" set holds
// only stacks whose top state reads bytes: calls are expanded and finished rules popped
// (the closure) as soon as a stack is made. Borrows the automaton and a StackPool; as
// thread-safe as that pool (one owner).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "constrain/grammar_automaton.h"
#include "constrain/stack_pool.h"

namespace sgl::constrain {

struct StackSet {
  std::vector<int32_t> ready;  // stack ids, each top state reads at least one byte
  bool can_end = false;        // the root rule can finish here (grammar accepts)
  bool escaped = false;        // a stack popped into kBottom (context needed)

  bool Dead() const { return ready.empty() && !can_end && !escaped; }
};

class PdaRunner {
 public:
  PdaRunner(const GrammarAutomaton& automaton, StackPool& pool) : a_(automaton), pool_(pool) {}

  // The closure of the given stacks (each a pool id).
  void Close(std::span<const int32_t> seeds, StackSet& out);
  // `in` after reading byte `b`; `out` must not alias `in`.
  void Advance(const StackSet& in, uint8_t b, StackSet& out);
  // The start: the root rule's start state on an empty stack.
  StackSet Start();

 private:
  const GrammarAutomaton& a_;
  StackPool& pool_;
  std::vector<int32_t> work_, seeds_;
  std::vector<uint32_t> seen_;  // epoch per node id
  uint32_t epoch_ = 0;
};

}  // namespace sgl::constrain
