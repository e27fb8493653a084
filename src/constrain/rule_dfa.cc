#include "constrain/rule_dfa.h"

#include <algorithm>
#include <map>

#include "constrain/refinable_partition.h"

namespace sgl::constrain {
namespace {

// Bytes every state treats alike form one class; one labelled transition stands for them.
std::vector<int> ByteClassRepresentatives(const RuleDfa& dfa) {
  std::map<std::vector<int32_t>, int> seen;
  std::vector<int> reps;
  std::vector<int32_t> column(dfa.next.size());
  for (int b = 0; b < 256; ++b) {
    for (size_t s = 0; s < dfa.next.size(); ++s) column[s] = dfa.next[s][b];
    if (seen.emplace(column, b).second) reps.push_back(b);
  }
  return reps;
}

// The DFA's transitions as (tail, label, head): one label per byte class, then one per
// callee rule, so a call edge is just another labelled transition.
struct Transitions {
  std::vector<int32_t> tail, label, head;
  int32_t num_labels = 0;
};

Transitions LabelledTransitions(const RuleDfa& dfa) {
  Transitions t;
  std::vector<int> reps = ByteClassRepresentatives(dfa);
  std::map<int32_t, int32_t> callee_label;
  for (const auto& calls : dfa.calls) {
    for (const auto& [callee, target] : calls) callee_label.emplace(callee, 0);
  }
  t.num_labels = static_cast<int32_t>(reps.size());
  for (auto& [callee, label] : callee_label) label = t.num_labels++;
  auto add = [&t](size_t tail, int32_t label, int32_t head) {
    t.tail.push_back(static_cast<int32_t>(tail));
    t.label.push_back(label);
    t.head.push_back(head);
  };
  for (size_t s = 0; s < dfa.next.size(); ++s) {
    for (size_t r = 0; r < reps.size(); ++r) {
      if (int32_t to = dfa.next[s][reps[r]]; to >= 0) add(s, static_cast<int32_t>(r), to);
    }
    for (const auto& [callee, target] : dfa.calls[s]) add(s, callee_label[callee], target);
  }
  return t;
}

// For each state, the transitions entering it: in_edges[in_begin[s], in_begin[s + 1]).
void IncomingTransitions(const Transitions& t, size_t num_states, std::vector<int32_t>& in_begin,
                         std::vector<int32_t>& in_edges) {
  in_begin.assign(num_states + 1, 0);
  for (int32_t h : t.head) ++in_begin[h + 1];
  for (size_t s = 0; s < num_states; ++s) in_begin[s + 1] += in_begin[s];
  in_edges.resize(t.head.size());
  std::vector<int32_t> fill(in_begin.begin(), in_begin.end() - 1);
  for (size_t e = 0; e < t.head.size(); ++e) in_edges[fill[t.head[e]]++] = static_cast<int32_t>(e);
}

// Coarsest partition of the states that respects acceptance and maps equal blocks to equal
// blocks under every label, a missing transition being its own outcome: Hopcroft's
// algorithm for partial DFAs (after Valmari and Lehtinen), with the transitions themselves
// partitioned into "cords" of one label and one head block.
RefinablePartition CoarsestStablePartition(const RuleDfa& dfa) {
  size_t n = dfa.next.size();
  Transitions t = LabelledTransitions(dfa);
  std::vector<int32_t> accepting(dfa.accepting.begin(), dfa.accepting.end());
  for (int32_t& a : accepting) a = a != 0;
  RefinablePartition blocks(accepting, 2);
  RefinablePartition cords(t.label, std::max(1, t.num_labels));
  std::vector<int32_t> in_begin, in_edges;
  IncomingTransitions(t, n, in_begin, in_edges);
  // Each cord splits blocks by "has a transition in this cord"; each new block (and all but
  // one of the initial ones) splits cords by "leads into this block".
  int32_t next_block = 1;
  for (int32_t c = 0; c < cords.num_sets(); ++c) {
    for (int32_t e : cords.members(c)) blocks.Mark(t.tail[e]);
    blocks.Split();
    for (; next_block < blocks.num_sets(); ++next_block) {
      for (int32_t s : blocks.members(next_block)) {
        for (int32_t i = in_begin[s]; i < in_begin[s + 1]; ++i) cords.Mark(in_edges[i]);
      }
      cords.Split();
    }
  }
  return blocks;
}

}  // namespace

RuleDfa MinimizeRuleDfa(const RuleDfa& dfa) {
  size_t n = dfa.next.size();
  if (n <= 1) return dfa;
  RefinablePartition blocks = CoarsestStablePartition(dfa);
  // Classes numbered by their lowest state, so state 0's class is 0 and the order is stable.
  std::vector<int32_t> class_of_block(blocks.num_sets(), -1), cls(n);
  int32_t num_classes = 0;
  for (size_t s = 0; s < n; ++s) {
    int32_t& c = class_of_block[blocks.set_of(static_cast<int32_t>(s))];
    if (c < 0) c = num_classes++;
    cls[s] = c;
  }
  RuleDfa out;
  out.next.resize(num_classes);
  out.accepting.resize(num_classes);
  out.calls.resize(num_classes);
  std::vector<uint8_t> done(num_classes, 0);
  for (size_t s = 0; s < n; ++s) {
    int32_t c = cls[s];
    if (done[c]) continue;
    done[c] = 1;
    for (int b = 0; b < 256; ++b) out.next[c][b] = dfa.next[s][b] < 0 ? -1 : cls[dfa.next[s][b]];
    out.accepting[c] = dfa.accepting[s];
    for (const auto& [callee, t] : dfa.calls[s]) out.calls[c].push_back({callee, cls[t]});
  }
  return out;
}

}  // namespace sgl::constrain
