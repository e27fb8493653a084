#include "constrain/rule_dfa.h"

#include <algorithm>
#include <map>
#include <span>
#include <utility>
#include <unordered_map>

namespace sgl::constrain {
namespace {

// Bytes every state treats alike form one class; refinement looks at one byte per class.
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

struct SignatureHash {
  size_t operator()(const std::vector<int32_t>& v) const {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int32_t x : v) h = (h ^ static_cast<uint32_t>(x)) * 0x100000001b3ull;
    return static_cast<size_t>(h ^ (h >> 32));
  }
};

// Numbers the distinct signatures in order of first appearance.
int32_t Renumber(const std::vector<std::vector<int32_t>>& signatures, std::vector<int32_t>& cls) {
  std::unordered_map<std::vector<int32_t>, int32_t, SignatureHash> ids;
  ids.reserve(signatures.size());
  for (size_t s = 0; s < signatures.size(); ++s) {
    cls[s] = ids.emplace(signatures[s], static_cast<int32_t>(ids.size())).first->second;
  }
  return static_cast<int32_t>(ids.size());
}

// A partition of states 0..n-1 into blocks, each a contiguous range of one permutation,
// so marking a state (moving it to the front of its block) and splitting the marked
// front off are O(1) per state.
class Partition {
 public:
  Partition(const std::vector<int32_t>& initial_block, int32_t num_blocks)
      : elems_(initial_block.size()), pos_(initial_block.size()), block_of_(initial_block),
        begin_(initial_block.size() + 1), end_(initial_block.size() + 1),
        marked_(initial_block.size() + 1, 0), num_blocks_(num_blocks) {
    std::vector<int32_t> count(num_blocks + 1, 0);
    for (int32_t b : initial_block) ++count[b + 1];
    for (int32_t b = 0; b < num_blocks; ++b) count[b + 1] += count[b];
    for (int32_t b = 0; b < num_blocks; ++b) begin_[b] = end_[b] = count[b];
    for (size_t s = 0; s < initial_block.size(); ++s) {
      int32_t b = initial_block[s];
      pos_[s] = end_[b];
      elems_[end_[b]++] = static_cast<int32_t>(s);
    }
  }

  int32_t num_blocks() const { return num_blocks_; }
  int32_t block_of(int32_t s) const { return block_of_[s]; }
  int32_t size(int32_t b) const { return end_[b] - begin_[b]; }
  std::span<const int32_t> members(int32_t b) const {
    return {elems_.data() + begin_[b], static_cast<size_t>(size(b))};
  }

  void Mark(int32_t s) {
    int32_t b = block_of_[s];
    int32_t front = begin_[b] + marked_[b];
    if (pos_[s] < front) return;
    int32_t other = elems_[front];
    std::swap(elems_[pos_[s]], elems_[front]);
    pos_[other] = pos_[s];
    pos_[s] = front;
    if (marked_[b]++ == 0) touched_.push_back(b);
  }

  // Splits the marked states off every block that has some but not all of them marked,
  // into a new block; on_split(old, new) hears of each split. Clears the marks.
  template <class OnSplit>
  void SplitMarked(OnSplit on_split) {
    for (int32_t b : touched_) {
      int32_t marked = std::exchange(marked_[b], 0);
      if (marked == size(b)) continue;
      int32_t nb = num_blocks_++;
      begin_[nb] = begin_[b];
      end_[nb] = begin_[b] + marked;
      begin_[b] = end_[nb];
      for (int32_t s : members(nb)) block_of_[s] = nb;
      on_split(b, nb);
    }
    touched_.clear();
  }

 private:
  std::vector<int32_t> elems_, pos_, block_of_;
  std::vector<int32_t> begin_, end_, marked_;
  std::vector<int32_t> touched_;
  int32_t num_blocks_;
};

// The DFA's transitions as labelled total functions on states 0..n, where state n is an
// added dead state standing for a refused byte: one label per byte class and one per call
// position ((callee, j): a state's j-th call edge). Kept inverted: for each label and
// target, the states that reach it.
struct InverseTransitions {
  std::vector<std::vector<int32_t>> offsets;  // [label][target], CSR over `sources`
  std::vector<std::vector<int32_t>> sources;

  void Add(const std::vector<int32_t>& function) {  // function[s]: target, -1 = none
    std::vector<int32_t>& off = offsets.emplace_back(function.size() + 1, 0);
    std::vector<int32_t>& src = sources.emplace_back();
    for (int32_t t : function) {
      if (t >= 0) ++off[t + 1];
    }
    for (size_t t = 0; t < function.size(); ++t) off[t + 1] += off[t];
    src.resize(off.back());
    std::vector<int32_t> fill(off.begin(), off.end() - 1);
    for (size_t s = 0; s < function.size(); ++s) {
      if (function[s] >= 0) src[fill[function[s]]++] = static_cast<int32_t>(s);
    }
  }
  std::span<const int32_t> Into(size_t label, int32_t target) const {
    const std::vector<int32_t>& off = offsets[label];
    return {sources[label].data() + off[target], static_cast<size_t>(off[target + 1] - off[target])};
  }
};

InverseTransitions Invert(const RuleDfa& dfa) {
  int32_t n = static_cast<int32_t>(dfa.next.size());
  int32_t dead = n;
  InverseTransitions inverse;
  std::vector<int32_t> function(n + 1);
  for (int b : ByteClassRepresentatives(dfa)) {
    for (int32_t s = 0; s < n; ++s) function[s] = dfa.next[s][b] < 0 ? dead : dfa.next[s][b];
    function[dead] = dead;
    inverse.Add(function);
  }
  std::map<std::pair<int32_t, size_t>, std::vector<int32_t>> call_functions;
  for (int32_t s = 0; s < n; ++s) {
    for (size_t j = 0; j < dfa.calls[s].size(); ++j) {
      auto [it, fresh] = call_functions.try_emplace({dfa.calls[s][j].first, j});
      if (fresh) it->second.assign(n + 1, -1);
      it->second[s] = dfa.calls[s][j].second;
    }
  }
  for (const auto& [label, f] : call_functions) inverse.Add(f);
  return inverse;
}

// The coarsest partition of states 0..n (n: the dead state) that separates accepting from
// not, callee lists that differ and the dead state from the rest, and is stable under
// every label: Hopcroft's algorithm, so a long chain costs O(n log n) per label rather
// than one refinement round per state.
std::vector<int32_t> CoarsestStablePartition(const RuleDfa& dfa) {
  int32_t n = static_cast<int32_t>(dfa.next.size());
  std::vector<std::vector<int32_t>> signature(n + 1);
  for (int32_t s = 0; s < n; ++s) {
    signature[s] = {dfa.accepting[s]};
    for (const auto& [callee, t] : dfa.calls[s]) signature[s].push_back(callee);
  }
  signature[n] = {-1};
  std::vector<int32_t> initial(n + 1);
  int32_t num_initial = Renumber(signature, initial);
  Partition partition(initial, num_initial);
  InverseTransitions inverse = Invert(dfa);

  std::vector<int32_t> worklist;
  std::vector<uint8_t> waiting(n + 1, 0);
  for (int32_t b = 0; b < num_initial; ++b) {
    worklist.push_back(b);
    waiting[b] = 1;
  }
  auto on_split = [&](int32_t old_block, int32_t new_block) {
    int32_t add = waiting[old_block] || partition.size(new_block) <= partition.size(old_block)
                      ? new_block
                      : old_block;
    worklist.push_back(add);
    waiting[add] = 1;
  };
  std::vector<int32_t> splitter;
  while (!worklist.empty()) {
    int32_t a = worklist.back();
    worklist.pop_back();
    waiting[a] = 0;
    splitter.assign(partition.members(a).begin(), partition.members(a).end());
    for (size_t label = 0; label < inverse.offsets.size(); ++label) {
      for (int32_t t : splitter) {
        for (int32_t s : inverse.Into(label, t)) partition.Mark(s);
      }
      partition.SplitMarked(on_split);
    }
  }
  std::vector<int32_t> block(n + 1);
  for (int32_t s = 0; s <= n; ++s) block[s] = partition.block_of(s);
  return block;
}

}  // namespace

RuleDfa MinimizeRuleDfa(const RuleDfa& dfa) {
  int32_t n = static_cast<int32_t>(dfa.next.size());
  if (n <= 1) return dfa;
  std::vector<int32_t> cls = CoarsestStablePartition(dfa);
  // Classes numbered by first appearance, so state 0's class is 0.
  std::vector<int32_t> id(n + 1, -1);
  int32_t num_classes = 0;
  for (int32_t s = 0; s < n; ++s) {
    if (id[cls[s]] < 0) id[cls[s]] = num_classes++;
  }
  auto target = [&](int32_t t) { return t < 0 ? -1 : id[cls[t]]; };
  RuleDfa out;
  out.next.resize(num_classes);
  out.accepting.resize(num_classes);
  out.calls.resize(num_classes);
  std::vector<uint8_t> done(num_classes, 0);
  for (int32_t s = 0; s < n; ++s) {
    int32_t c = id[cls[s]];
    if (done[c]) continue;
    done[c] = 1;
    for (int b = 0; b < 256; ++b) out.next[c][b] = target(dfa.next[s][b]);
    out.accepting[c] = dfa.accepting[s];
    for (const auto& [callee, t] : dfa.calls[s]) out.calls[c].push_back({callee, target(t)});
  }
  return out;
}

}  // namespace sgl::constrain
