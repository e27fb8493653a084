#include "constrain/compiled_grammar.h"

#include <algorithm>

#include "constrain/pda_runner.h"

namespace sgl::constrain {
namespace {

// One walk of the token trie from a single state, over stacks cut off below it.
class TrieWalk {
 public:
  TrieWalk(const GrammarAutomaton& a, const TokenVocabulary& v) : a_(a), v_(v), runner_(a, pool_) {}

  StateTokenMask Run(int32_t state) {
    pool_.Clear();
    accepted_.clear();
    uncertain_.clear();
    bool root_only = a_.rule_of(state) == a_.root_rule() && !a_.root_is_called();
    int32_t s = pool_.Intern(state, root_only ? kNoParent : kBottom);
    if (levels_.empty()) {
      size_t max_len = 0;
      for (int32_t id : v_.trie_tokens()) max_len = std::max(max_len, v_.token_bytes(id).size());
      levels_.resize(max_len + 2);
    }
    levels_[0].ready = {s};
    levels_[0].can_end = levels_[0].escaped = false;
    Walk(0, 0, false);
    StateTokenMask m;
    std::sort(uncertain_.begin(), uncertain_.end());
    m.uncertain_ids = uncertain_;
    if (accepted_.size() * 32 > static_cast<size_t>(v_.vocab_size())) {
      m.accepted_bits.assign((v_.vocab_size() + 31) / 32, 0);
      for (int32_t id : accepted_) m.accepted_bits[id >> 5] |= 1u << (id & 31);
    } else {
      std::sort(accepted_.begin(), accepted_.end());
      m.accepted_ids = accepted_;
    }
    return m;
  }

 private:
  void AddRange(std::vector<int32_t>& out, int32_t begin, int32_t end) {
    const auto& toks = v_.trie_tokens();
    out.insert(out.end(), toks.begin() + begin, toks.begin() + end);
  }

  void Walk(int32_t node, size_t depth, bool escaped_on_path) {
    ByteSet allowed;
    for (int32_t s : levels_[depth].ready) allowed.Union(a_.allowed_bytes(pool_.node(s).state));
    const TrieNode& n = v_.trie()[node];
    for (int32_t ci = n.child_begin; ci < n.child_end; ++ci) {
      int32_t child = v_.trie_children()[ci];
      const TrieNode& c = v_.trie()[child];
      if (!allowed.Contains(c.byte)) {
        if (escaped_on_path) AddRange(uncertain_, c.token_begin, c.subtree_end);
        continue;
      }
      StackSet& next = levels_[depth + 1];
      runner_.Advance(levels_[depth], c.byte, next);
      bool alive = !next.ready.empty();
      bool ended = next.can_end || next.escaped;
      bool child_escaped = escaped_on_path || next.escaped;
      if (alive || ended) {
        AddRange(accepted_, c.token_begin, c.own_end);
      } else if (escaped_on_path) {
        AddRange(uncertain_, c.token_begin, c.own_end);
      }
      if (alive) {
        Walk(child, depth + 1, child_escaped);
      } else if (child_escaped) {
        AddRange(uncertain_, c.own_end, c.subtree_end);
      }
    }
  }

  const GrammarAutomaton& a_;
  const TokenVocabulary& v_;
  StackPool pool_;
  PdaRunner runner_;
  std::vector<StackSet> levels_;
  std::vector<int32_t> accepted_, uncertain_;
};

}  // namespace

Result<std::shared_ptr<const CompiledGrammar>> CompiledGrammar::Compile(
    const Grammar& grammar, std::shared_ptr<const TokenVocabulary> vocab, const AutomatonLimits& limits) {
  if (!vocab) return InvalidArgument("grammar compile: no vocabulary");
  SGL_ASSIGN_OR_RETURN(GrammarAutomaton automaton, GrammarAutomaton::Build(grammar, limits));
  std::shared_ptr<CompiledGrammar> g(new CompiledGrammar(std::move(automaton), std::move(vocab)));
  g->ComputeMasks();
  return std::shared_ptr<const CompiledGrammar>(std::move(g));
}

void CompiledGrammar::ComputeMasks() {
  masks_.assign(automaton_.num_states(), StateTokenMask{});
  TrieWalk walk(automaton_, *vocab_);
  for (int32_t s = 0; s < automaton_.num_states(); ++s) {
    if (!automaton_.allowed_bytes(s).Empty()) masks_[s] = walk.Run(s);
  }
}

int64_t CompiledGrammar::mask_bytes() const {
  int64_t n = 0;
  for (const StateTokenMask& m : masks_) {
    n += static_cast<int64_t>(m.accepted_bits.size() * 4 + (m.accepted_ids.size() + m.uncertain_ids.size()) * 4);
  }
  return n;
}

}  // namespace sgl::constrain
