#include "constrain/rule_dfa.h"

#include <algorithm>
#include <map>
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

// Numbers the distinct signatures in order of first appearance, so state 0's class is 0.
int32_t Renumber(const std::vector<std::vector<int32_t>>& signatures, std::vector<int32_t>& cls) {
  std::unordered_map<std::vector<int32_t>, int32_t, SignatureHash> ids;
  ids.reserve(signatures.size());
  for (size_t s = 0; s < signatures.size(); ++s) {
    cls[s] = ids.emplace(signatures[s], static_cast<int32_t>(ids.size())).first->second;
  }
  return static_cast<int32_t>(ids.size());
}

}  // namespace

RuleDfa MinimizeRuleDfa(const RuleDfa& dfa) {
  size_t n = dfa.next.size();
  if (n <= 1) return dfa;
  std::vector<int> reps = ByteClassRepresentatives(dfa);
  std::vector<std::vector<int32_t>> sig(n);
  std::vector<int32_t> cls(n);
  for (size_t s = 0; s < n; ++s) {
    sig[s] = {dfa.accepting[s]};
    for (const auto& [callee, t] : dfa.calls[s]) sig[s].push_back(callee);
  }
  int32_t num_classes = Renumber(sig, cls);
  for (;;) {
    for (size_t s = 0; s < n; ++s) {
      std::vector<int32_t>& v = sig[s];
      v.assign(1, cls[s]);
      for (int b : reps) v.push_back(dfa.next[s][b] < 0 ? -1 : cls[dfa.next[s][b]]);
      for (const auto& [callee, t] : dfa.calls[s]) {
        v.push_back(callee);
        v.push_back(cls[t]);
      }
    }
    int32_t refined = Renumber(sig, cls);
    if (refined == num_classes) break;
    num_classes = refined;
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
