// CompiledGrammar: a GrammarAutomaton bound to a TokenVocabulary, with each byte-reading
// state's context-independent token masks computed at compile time (one walk of the token
// trie per state): tokens accepted inside the state's rule whatever lies below on the
// stack, and the few "uncertain" tokens that run past the rule's end and must be checked
// against the real stack at decode time. Immutable after Compile; share it freely.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/status.h"
#include "constrain/grammar.h"
#include "constrain/end_distances.h"
#include "constrain/grammar_automaton.h"
#include "constrain/token_growth_order.h"
#include "constrain/token_vocabulary.h"

namespace sgl::constrain {

// The token masks of one automaton state (empty for states that read no byte).
struct StateTokenMask {
  std::vector<uint32_t> accepted_bits;  // a full bitmask when many tokens are accepted...
  std::vector<int32_t> accepted_ids;    // ...else the accepted ids
  std::vector<int32_t> uncertain_ids;   // sorted; decided against the full stack
};

class CompiledGrammar {
 public:
  static Result<std::shared_ptr<const CompiledGrammar>> Compile(
      const Grammar& grammar, std::shared_ptr<const TokenVocabulary> vocab, const AutomatonLimits& limits = {});

  const GrammarAutomaton& automaton() const { return automaton_; }
  const TokenVocabulary& vocab() const { return *vocab_; }
  const StateTokenMask& state_mask(int32_t state) const { return masks_[state]; }
  // Each state's fewest bytes to its rule's end (for budget-aware masks).
  const EndDistances& end_distances() const { return end_distances_; }
  // The tokens ordered by how far each can move a stack from the end (budgeted masks).
  const TokenGrowthOrder& token_growth_order() const { return token_growth_order_; }
  // 32-bit words in a next-token bitmask: bit i of word i / 32 is token i.
  int32_t bitmask_words() const { return (vocab_->vocab_size() + 31) / 32; }
  // Memory held by the precomputed masks (for reporting).
  int64_t mask_bytes() const;

 private:
  CompiledGrammar(GrammarAutomaton automaton, std::shared_ptr<const TokenVocabulary> vocab)
      : automaton_(std::move(automaton)),
        vocab_(std::move(vocab)),
        end_distances_(EndDistances::Compute(automaton_, vocab_->single_byte_tokens())),
        token_growth_order_(*vocab_, end_distances_) {}
  void ComputeMasks();

  GrammarAutomaton automaton_;
  std::shared_ptr<const TokenVocabulary> vocab_;
  std::vector<StateTokenMask> masks_;
  EndDistances end_distances_;
  TokenGrowthOrder token_growth_order_;
};

}  // namespace sgl::constrain
