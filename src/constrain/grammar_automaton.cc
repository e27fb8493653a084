#include "constrain/grammar_automaton.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "constrain/rule_dfa.h"

namespace sgl::constrain {
namespace {

// Thompson NFA of one rule body.
struct Nfa {
  struct State {
    std::vector<int32_t> eps;
    std::vector<std::pair<ByteSet, int32_t>> bytes;
    std::vector<std::pair<int32_t, int32_t>> calls;  // (rule, target)
  };
  std::vector<State> states;
  int64_t limit = 0;
  bool overflow = false;

  int32_t NewState() {
    if (static_cast<int64_t>(states.size()) >= limit) {
      overflow = true;
      return 0;
    }
    states.emplace_back();
    return static_cast<int32_t>(states.size()) - 1;
  }

  // Adds `e` between a new path from `from`; returns the end state.
  int32_t Add(const Expr& e, int32_t from) {
    if (overflow) return from;
    switch (e.kind) {
      case ExprKind::kEmpty: return from;
      case ExprKind::kBytes: {
        int32_t to = NewState();
        if (!e.bytes.Empty() && !overflow) states[from].bytes.push_back({e.bytes, to});
        return to;
      }
      case ExprKind::kRuleRef: {
        int32_t to = NewState();
        if (!overflow) states[from].calls.push_back({e.rule_id, to});
        return to;
      }
      case ExprKind::kSeq: {
        int32_t cur = from;
        for (const Expr& c : e.children) cur = Add(c, cur);
        return cur;
      }
      case ExprKind::kAlt: {
        int32_t end = NewState();
        for (const Expr& c : e.children) {
          int32_t start = NewState();
          if (overflow) return end;
          states[from].eps.push_back(start);
          int32_t stop = Add(c, start);
          if (overflow) return end;
          states[stop].eps.push_back(end);
        }
        return end;
      }
      case ExprKind::kRepeat: return AddRepeat(e, from);
    }
    return from;
  }

  int32_t AddRepeat(const Expr& e, int32_t from) {
    const Expr& inner = e.children[0];
    int32_t cur = from;
    for (int32_t i = 0; i < e.min_count && !overflow; ++i) cur = Add(inner, cur);
    int32_t end = NewState();
    if (overflow) return end;
    if (!e.max_count) {
      int32_t loop = NewState();
      if (overflow) return end;
      states[cur].eps.push_back(loop);
      int32_t stop = Add(inner, loop);
      if (overflow) return end;
      states[stop].eps.push_back(loop);
      states[loop].eps.push_back(end);
      return end;
    }
    for (int32_t i = e.min_count; i < *e.max_count && !overflow; ++i) {
      states[cur].eps.push_back(end);
      cur = Add(inner, cur);
    }
    if (!overflow) states[cur].eps.push_back(end);
    return end;
  }

  // Epoch marks, so a closure costs its own size, not the NFA's.
  mutable std::vector<uint32_t> seen;
  mutable uint32_t epoch = 0;

  std::vector<int32_t> Closure(std::vector<int32_t> set) const {
    if (seen.size() != states.size()) seen.assign(states.size(), 0), epoch = 0;
    if (++epoch == 0) std::fill(seen.begin(), seen.end(), 0), epoch = 1;
    std::vector<int32_t> work = set, out;
    while (!work.empty()) {
      int32_t s = work.back();
      work.pop_back();
      if (seen[s] == epoch) continue;
      seen[s] = epoch;
      out.push_back(s);
      for (int32_t t : states[s].eps) work.push_back(t);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};


Result<RuleDfa> Determinize(const Nfa& nfa, int32_t final_state, int64_t& dfa_budget, int64_t& work_budget,
                           const std::string& rule) {
  RuleDfa dfa;
  std::map<std::vector<int32_t>, int32_t> ids;
  std::vector<std::vector<int32_t>> sets;
  auto intern = [&](std::vector<int32_t> set) -> int32_t {
    auto it = ids.find(set);
    if (it != ids.end()) return it->second;
    int32_t id = static_cast<int32_t>(sets.size());
    ids.emplace(set, id);
    sets.push_back(std::move(set));
    return id;
  };
  intern(nfa.Closure({0}));
  for (size_t d = 0; d < sets.size(); ++d) {
    if (--dfa_budget < 0) {
      return InvalidArgument("grammar too complex: its automaton exceeds the state limit (in rule '{}')", rule);
    }
    std::vector<int32_t> set = sets[d];
    work_budget -= static_cast<int64_t>(set.size());
    if (work_budget < 0) {
      return InvalidArgument("grammar too complex: determinizing rule '{}' exceeds the work limit", rule);
    }
    std::array<int32_t, 256> next;
    next.fill(-1);
    // Targets per byte, gathered edge by edge.
    std::array<std::vector<int32_t>, 256> targets;
    for (int32_t s : set) {
      for (const auto& [bytes, t] : nfa.states[s].bytes) {
        for (int b = 0; b < 256; ++b) {
          if (bytes.Contains(static_cast<uint8_t>(b))) targets[b].push_back(t);
        }
        work_budget -= 256;
      }
    }
    std::vector<int32_t> prev_targets;
    int32_t prev_id = -1;
    for (int b = 0; b < 256; ++b) {
      std::vector<int32_t>& tb = targets[b];
      if (tb.empty()) continue;
      std::sort(tb.begin(), tb.end());
      tb.erase(std::unique(tb.begin(), tb.end()), tb.end());
      if (tb != prev_targets) {
        prev_targets = tb;
        prev_id = intern(nfa.Closure(std::move(tb)));
      }
      next[b] = prev_id;
    }
    std::map<int32_t, std::vector<int32_t>> call_targets;
    bool accepting = false;
    for (int32_t s : set) {
      if (s == final_state) accepting = true;
      for (const auto& [callee, t] : nfa.states[s].calls) call_targets[callee].push_back(t);
    }
    std::vector<std::pair<int32_t, int32_t>> calls;
    for (auto& [callee, targets] : call_targets) calls.push_back({callee, intern(nfa.Closure(targets))});
    dfa.next.push_back(next);
    dfa.accepting.push_back(accepting ? 1 : 0);
    dfa.calls.push_back(std::move(calls));
  }
  return dfa;
}

}  // namespace

class AutomatonBuilder {
 public:
  AutomatonBuilder(const Grammar& g, const AutomatonLimits& limits) : g_(g), limits_(limits) {}

  Result<GrammarAutomaton> Build() {
    int32_t num_rules = static_cast<int32_t>(g_.rules.size());
    if (num_rules == 0 || g_.root_rule < 0 || g_.root_rule >= num_rules) {
      return InvalidArgument("grammar has no root rule");
    }
    a_.root_rule_ = g_.root_rule;
    std::vector<RuleDfa> dfas;
    int64_t nfa_budget = limits_.max_nfa_states, dfa_budget = limits_.max_dfa_states;
    int64_t work_budget = limits_.max_determinize_work;
    for (const GrammarRule& rule : g_.rules) {
      a_.rule_names_.push_back(rule.name);
      Nfa nfa;
      nfa.limit = nfa_budget;
      nfa.NewState();
      int32_t final_state = nfa.Add(rule.body, 0);
      if (nfa.overflow) {
        return InvalidArgument("grammar too large: rule '{}' exceeds the automaton size limit", rule.name);
      }
      nfa_budget -= static_cast<int64_t>(nfa.states.size());
      SGL_ASSIGN_OR_RETURN(RuleDfa dfa, Determinize(nfa, final_state, dfa_budget, work_budget, rule.name));
      dfas.push_back(MinimizeRuleDfa(dfa));
    }
    Assemble(dfas);
    SGL_RETURN_IF_ERROR(Prune());
    SGL_RETURN_IF_ERROR(CheckLeftRecursion());
    return std::move(a_);
  }

 private:
  void Assemble(const std::vector<RuleDfa>& dfas) {
    int32_t offset = 0;
    for (size_t r = 0; r < dfas.size(); ++r) {
      a_.rule_start_.push_back(offset);
      offset += static_cast<int32_t>(dfas[r].next.size());
    }
    a_.next_.reserve(static_cast<size_t>(offset) * 256);
    a_.call_begin_.push_back(0);
    for (size_t r = 0; r < dfas.size(); ++r) {
      int32_t base = a_.rule_start_[r];
      for (size_t s = 0; s < dfas[r].next.size(); ++s) {
        for (int32_t t : dfas[r].next[s]) a_.next_.push_back(t < 0 ? -1 : base + t);
        a_.accepting_.push_back(dfas[r].accepting[s]);
        a_.rule_of_.push_back(static_cast<int32_t>(r));
        for (const auto& [callee, t] : dfas[r].calls[s]) {
          if (callee == a_.root_rule_) a_.root_is_called_ = true;
          a_.calls_.push_back({a_.rule_start_[callee], base + t});
        }
        a_.call_begin_.push_back(static_cast<int32_t>(a_.calls_.size()));
      }
    }
  }

  // Keeps only states from which the rule can still end; a rule whose start cannot end
  // is unusable, and calls to it are dropped.
  Status Prune() {
    int32_t n = a_.num_states();
    std::vector<uint8_t> live(n, 0);
    for (int32_t s = 0; s < n; ++s) live[s] = a_.accepting_[s];
    for (bool changed = true; changed;) {
      changed = false;
      for (int32_t s = n - 1; s >= 0; --s) {
        if (live[s]) continue;
        bool ok = false;
        for (int b = 0; b < 256 && !ok; ++b) {
          int32_t t = a_.Next(s, static_cast<uint8_t>(b));
          ok = t >= 0 && live[t];
        }
        for (const CallEdge& c : a_.calls(s)) ok = ok || (live[c.callee_start] && live[c.ret]);
        if (ok) live[s] = 1, changed = true;
      }
    }
    if (!live[a_.root_start()]) return InvalidArgument("grammar matches no string at all (rule '{}')", a_.rule_names_[a_.root_rule_]);
    std::vector<CallEdge> calls;
    std::vector<int32_t> begin{0};
    a_.allowed_bytes_.assign(n, ByteSet());
    for (int32_t s = 0; s < n; ++s) {
      for (int b = 0; b < 256; ++b) {
        int32_t& t = a_.next_[static_cast<size_t>(s) * 256 + b];
        if (t >= 0 && !live[t]) t = -1;
        if (t >= 0) a_.allowed_bytes_[s].Add(static_cast<uint8_t>(b));
      }
      for (const CallEdge& c : a_.calls(s)) {
        if (live[c.callee_start] && live[c.ret]) calls.push_back(c);
      }
      begin.push_back(static_cast<int32_t>(calls.size()));
    }
    a_.calls_ = std::move(calls);
    a_.call_begin_ = std::move(begin);
    return Status::Ok();
  }

  // A rule that can call itself before reading a byte would grow the stack forever.
  Status CheckLeftRecursion() {
    int32_t num_rules = static_cast<int32_t>(a_.rule_start_.size());
    std::vector<uint8_t> nullable(num_rules, 0);
    auto empty_reach = [&](int32_t rule, std::vector<int32_t>* callees) {
      std::vector<int32_t> work{a_.rule_start_[rule]}, seen{};
      bool can_end = false;
      while (!work.empty()) {
        int32_t s = work.back();
        work.pop_back();
        if (std::find(seen.begin(), seen.end(), s) != seen.end()) continue;
        seen.push_back(s);
        can_end = can_end || a_.accepting(s);
        for (const CallEdge& c : a_.calls(s)) {
          int32_t callee = a_.rule_of(c.callee_start);
          if (callees) callees->push_back(callee);
          if (nullable[callee]) work.push_back(c.ret);
        }
      }
      return can_end;
    };
    for (bool changed = true; changed;) {
      changed = false;
      for (int32_t r = 0; r < num_rules; ++r) {
        if (!nullable[r] && empty_reach(r, nullptr)) nullable[r] = 1, changed = true;
      }
    }
    std::vector<std::vector<int32_t>> left_calls(num_rules);
    for (int32_t r = 0; r < num_rules; ++r) empty_reach(r, &left_calls[r]);
    std::vector<uint8_t> color(num_rules, 0);  // 0 new, 1 on the path, 2 done
    for (int32_t r = 0; r < num_rules; ++r) {
      if (color[r] != 0) continue;
      std::vector<std::pair<int32_t, size_t>> path{{r, 0}};
      color[r] = 1;
      while (!path.empty()) {
        auto& [rule, i] = path.back();
        if (i == left_calls[rule].size()) {
          color[rule] = 2;
          path.pop_back();
          continue;
        }
        int32_t callee = left_calls[rule][i++];
        if (color[callee] == 1) {
          return InvalidArgument("grammar is left-recursive through rule '{}' (it can reach itself without consuming input)",
                                 a_.rule_names_[callee]);
        }
        if (color[callee] == 0) {
          color[callee] = 1;
          path.push_back({callee, 0});
        }
      }
    }
    return Status::Ok();
  }

  const Grammar& g_;
  const AutomatonLimits& limits_;
  GrammarAutomaton a_;
};

Result<GrammarAutomaton> GrammarAutomaton::Build(const Grammar& grammar, const AutomatonLimits& limits) {
  return AutomatonBuilder(grammar, limits).Build();
}

}  // namespace sgl::constrain
