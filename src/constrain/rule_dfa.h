// RuleDfa: one grammar rule's DFA over bytes before the rules are numbered into one
// GrammarAutomaton; call edges still name the callee rule. MinimizeRuleDfa merges states
// with the same future (Hopcroft's partition refinement), so counted repetitions of a
// multi-state element (a UTF-8 character, an escape) do not multiply redundant states.
// Plain values; no threads involved.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace sgl::constrain {

struct RuleDfa {
  std::vector<std::array<int32_t, 256>> next;  // -1: the byte is refused
  std::vector<uint8_t> accepting;
  std::vector<std::vector<std::pair<int32_t, int32_t>>> calls;  // (callee rule, local target)
};

// The minimal equivalent DFA: states that accept the same byte/call futures are merged.
// State 0 stays the start. Call edges count as labelled transitions (callee rule).
RuleDfa MinimizeRuleDfa(const RuleDfa& dfa);

}  // namespace sgl::constrain
