// GrammarAutomaton: a Grammar compiled to one DFA per rule over bytes, where a rule
// reference is a call edge (a recursive transition network, i.e. a pushdown automaton
// whose stack holds return states). States are numbered across all rules. Built once,
// immutable afterwards, safe to share between threads.
//
// Guarantees after Build: every state can still reach an accepting state of its rule
// (dead states and the edges into them are removed), no rule calls itself without
// consuming a byte first (left recursion is rejected), and the state count is bounded.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "constrain/byte_set.h"
#include "constrain/grammar.h"

namespace sgl::constrain {

struct AutomatonLimits {
  int64_t max_nfa_states = 4000000;
  int64_t max_dfa_states = 60000;
  int64_t max_determinize_work = 400000000;  // NFA states visited + edges scanned, all rules
};

// A rule reference leaving a state: run `callee_start`'s rule, then continue at `ret`.
struct CallEdge {
  int32_t callee_start;
  int32_t ret;
};

class GrammarAutomaton {
 public:
  static Result<GrammarAutomaton> Build(const Grammar& grammar, const AutomatonLimits& limits = {});

  int32_t num_states() const { return static_cast<int32_t>(accepting_.size()); }
  int32_t root_start() const { return rule_start_[root_rule_]; }
  int32_t rule_of(int32_t state) const { return rule_of_[state]; }
  bool root_is_called() const { return root_is_called_; }
  int32_t root_rule() const { return root_rule_; }
  // The state after reading byte `b` in `state`'s rule; -1 if the rule refuses it.
  int32_t Next(int32_t state, uint8_t b) const { return next_[static_cast<size_t>(state) * 256 + b]; }
  // The rule may end in this state.
  bool accepting(int32_t state) const { return accepting_[state] != 0; }
  const ByteSet& allowed_bytes(int32_t state) const { return allowed_bytes_[state]; }
  std::span<const CallEdge> calls(int32_t state) const {
    return {calls_.data() + call_begin_[state], calls_.data() + call_begin_[state + 1]};
  }
  const std::string& rule_name(int32_t rule) const { return rule_names_[rule]; }

 private:
  friend class AutomatonBuilder;
  std::vector<int32_t> next_;
  std::vector<uint8_t> accepting_;
  std::vector<ByteSet> allowed_bytes_;
  std::vector<int32_t> call_begin_;
  std::vector<CallEdge> calls_;
  std::vector<int32_t> rule_of_;
  std::vector<int32_t> rule_start_;
  std::vector<std::string> rule_names_;
  int32_t root_rule_ = 0;
  bool root_is_called_ = false;
};

}  // namespace sgl::constrain
