#include "constrain/compiled_grammar.h"

#include <algorithm>
#include <bit>

#include "constrain/pda_runner.h"

namespace sgl::constrain {
namespace {

// One walk of the token trie from a single state, over stacks cut off below it. A level
// is either one plain stack (state, parent) not yet interned, the common case inside a
// rule, stepped by table lookup alone, or a general interned set of stacks.
class TrieWalk {
 public:
  TrieWalk(const GrammarAutomaton& a, const TokenVocabulary& v) : a_(a), v_(v), runner_(a, pool_) {
    size_t max_len = 0;
    for (int32_t id : v_.trie_tokens()) max_len = std::max(max_len, v_.token_bytes(id).size());
    levels_.resize(max_len + 2);
    edges_.resize(a_.num_states());
    for (int32_t q = 0; q < a_.num_states(); ++q) {
      for (int b = 0; b < 256; ++b) {
        int32_t t = a_.Next(q, static_cast<uint8_t>(b));
        if (t < 0) continue;
        auto it = std::find_if(edges_[q].begin(), edges_[q].end(), [t](const Edge& e) { return e.target == t; });
        if (it == edges_[q].end()) it = edges_[q].insert(edges_[q].end(), Edge{ByteSet(), t});
        it->bytes.Add(static_cast<uint8_t>(b));
      }
    }
  }

  StateTokenMask Run(int32_t state) {
    pool_.Clear();
    accepted_bits_.assign((v_.vocab_size() + 31) / 32, 0);
    uncertain_.clear();
    bool root_only = a_.rule_of(state) == a_.root_rule() && !a_.root_is_called();
    Level& first = levels_[0];
    first.single = true;
    first.state = state;
    first.parent = root_only ? kNoParent : kBottom;
    Walk(0, 0, false);
    StateTokenMask m;
    std::sort(uncertain_.begin(), uncertain_.end());
    m.uncertain_ids = uncertain_;
    int64_t count = 0;
    for (uint32_t w : accepted_bits_) count += std::popcount(w);
    if (count * 32 > v_.vocab_size()) {
      m.accepted_bits = accepted_bits_;
    } else {
      for (size_t w = 0; w < accepted_bits_.size(); ++w) {
        for (uint32_t bits = accepted_bits_[w]; bits != 0; bits &= bits - 1) {
          m.accepted_ids.push_back(static_cast<int32_t>(w * 32 + std::countr_zero(bits)));
        }
      }
    }
    return m;
  }

 private:
  struct Level {
    bool single = true;
    int32_t state = 0, parent = 0;  // when single
    StackSet set;                   // otherwise
  };

  void Accept(int32_t begin, int32_t end) {
    const auto& toks = v_.trie_tokens();
    for (int32_t i = begin; i < end; ++i) accepted_bits_[toks[i] >> 5] |= 1u << (toks[i] & 31);
  }
  void Uncertain(int32_t begin, int32_t end) {
    const auto& toks = v_.trie_tokens();
    uncertain_.insert(uncertain_.end(), toks.begin() + begin, toks.begin() + end);
  }

  // Every string over `bytes` of up to `depth` bytes leads from `state` through plain
  // states only. Follows the set of states reachable after i bytes, one edge group (bytes
  // with the same target) at a time; stops early when that set maps onto itself (it then
  // stays the same for any depth). Gives up (false) when the states fan out.
  bool ClosedOver(int32_t state, const ByteSet& bytes, int32_t depth) {
    if (!Plain(state)) return false;
    frontier_.assign(1, state);
    for (int32_t i = 0; i < depth; ++i) {
      next_frontier_.clear();
      for (int32_t s : frontier_) {
        if (!bytes.IsSubsetOf(a_.allowed_bytes(s))) return false;
        for (const Edge& e : edges_[s]) {
          if (!e.bytes.Intersects(bytes)) continue;
          if (!Plain(e.target)) return false;
          if (std::find(next_frontier_.begin(), next_frontier_.end(), e.target) == next_frontier_.end()) {
            if (next_frontier_.size() == kMaxFrontier) return false;
            next_frontier_.push_back(e.target);
          }
        }
      }
      std::sort(next_frontier_.begin(), next_frontier_.end());
      if (next_frontier_ == frontier_) return true;
      std::swap(frontier_, next_frontier_);
    }
    return true;
  }

  // A state whose closure is itself: reads bytes, no calls, cannot end its rule.
  bool Plain(int32_t state) const { return a_.calls(state).empty() && !a_.accepting(state); }

  // Steps `cur` by `b` into `next`; returns (alive, ended, escaped).
  void Step(Level& cur, uint8_t b, Level& next, bool& alive, bool& ended, bool& escaped) {
    if (cur.single) {
      int32_t t = a_.Next(cur.state, b);
      if (t < 0) {
        alive = ended = escaped = false;
        return;
      }
      if (Plain(t)) {
        next.single = true;
        next.state = t;
        next.parent = cur.parent;
        alive = true;
        ended = escaped = false;
        return;
      }
      int32_t s = pool_.Intern(t, cur.parent);
      next.single = false;
      runner_.Close(std::span<const int32_t>(&s, 1), next.set);
    } else {
      next.single = false;
      runner_.Advance(cur.set, b, next.set);
    }
    alive = !next.set.ready.empty();
    escaped = next.set.escaped;
    ended = next.set.can_end || escaped;
  }

  void Walk(int32_t node, size_t depth, bool escaped_on_path) {
    Level& cur = levels_[depth];
    ByteSet allowed;
    if (cur.single) {
      // When every byte string the subtree could hold keeps the rule alive (string
      // contents, digit runs, counted repetitions with room left), the whole subtree is
      // accepted without walking it.
      const TrieNode& here = v_.trie()[node];
      if (here.subtree_end - here.own_end >= kMinShortcutTokens &&
          ClosedOver(cur.state, v_.bytes_below(node), v_.depth_below(node))) {
        const TrieNode& n = v_.trie()[node];
        Accept(n.own_end, n.subtree_end);
        return;
      }
      allowed = a_.allowed_bytes(cur.state);
    } else {
      for (int32_t s : cur.set.ready) allowed.Union(a_.allowed_bytes(pool_.node(s).state));
    }
    const TrieNode& n = v_.trie()[node];
    for (int32_t ci = n.child_begin; ci < n.child_end; ++ci) {
      int32_t child = v_.trie_children()[ci];
      const TrieNode& c = v_.trie()[child];
      if (!allowed.Contains(c.byte)) {
        if (escaped_on_path) Uncertain(c.token_begin, c.subtree_end);
        continue;
      }
      bool alive, ended, escaped;
      Step(levels_[depth], c.byte, levels_[depth + 1], alive, ended, escaped);
      bool child_escaped = escaped_on_path || escaped;
      if (alive || ended) {
        Accept(c.token_begin, c.own_end);
      } else if (escaped_on_path) {
        Uncertain(c.token_begin, c.own_end);
      }
      if (alive) {
        Walk(child, depth + 1, child_escaped);
      } else if (child_escaped) {
        Uncertain(c.own_end, c.subtree_end);
      }
    }
  }

  const GrammarAutomaton& a_;
  const TokenVocabulary& v_;
  StackPool pool_;
  PdaRunner runner_;
  std::vector<Level> levels_;
  std::vector<uint32_t> accepted_bits_;
  std::vector<int32_t> uncertain_;
  struct Edge {
    ByteSet bytes;  // the bytes that lead to...
    int32_t target;  // ...this state
  };
  std::vector<std::vector<Edge>> edges_;  // per state, one entry per distinct target
  std::vector<int32_t> frontier_, next_frontier_;
  static constexpr int32_t kMinShortcutTokens = 8;
  static constexpr size_t kMaxFrontier = 8;
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
