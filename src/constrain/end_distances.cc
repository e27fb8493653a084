#include "constrain/end_distances.h"

#include <algorithm>
#include <functional>
#include <queue>

namespace sgl::constrain {
namespace {

int64_t SaturatingAdd(int64_t x, int64_t y) { return std::min(x + y, EndDistances::kUnreachable); }

// "No such stack": below every real rise, and far enough above int64's floor that sums of
// a few thousand of them do not wrap.
constexpr int64_t kNever = -EndDistances::kUnreachable;

// How much a distance rises from `from` to `to`, unbounded where either is.
int64_t Rise(int64_t to, int64_t from) {
  return to >= EndDistances::kUnreachable || from >= EndDistances::kUnreachable ? EndDistances::kUnreachable : to - from;
}

// Each state's distinct byte-edge targets, marked writable when some byte leading there
// is in `writable`.
std::vector<EndDistances::ByteEdge> ByteEdges(const GrammarAutomaton& a, const ByteSet& writable) {
  std::vector<EndDistances::ByteEdge> edges;
  for (int32_t s = 0; s < a.num_states(); ++s) {
    if (a.allowed_bytes(s).Empty()) continue;
    const size_t first = edges.size();
    for (int b = 0; b < 256; ++b) {
      const int32_t t = a.Next(s, static_cast<uint8_t>(b));
      if (t < 0) continue;
      const bool w = writable.Contains(static_cast<uint8_t>(b));
      auto same = std::find_if(edges.begin() + first, edges.end(), [t](const auto& e) { return e.target == t; });
      if (same == edges.end()) {
        edges.push_back({s, t, w});
      } else {
        same->writable = same->writable || w;
      }
    }
  }
  return edges;
}

}  // namespace

EndDistances EndDistances::Compute(const GrammarAutomaton& automaton, const ByteSet& writable) {
  EndDistances d;
  const std::vector<ByteEdge> edges = ByteEdges(automaton, writable);
  d.ComputeDistances(automaton, edges);
  d.ComputeGrowthBound(automaton, edges);
  d.ComputeReachBound(automaton, edges);
  return d;
}

// Knuth's generalization of Dijkstra: a state's distance is the least of 0 (accepting),
// 1 + a writable byte target's, and callee start's + return state's over its calls. Every one of
// those is at least each distance it reads, so states are final in increasing order,
// and a call is weighed once both its callee start and return state are final. Rule
// minimum lengths (the callee starts' distances) fall out of the same pass as the fixed
// point over call edges.
void EndDistances::ComputeDistances(const GrammarAutomaton& a, std::span<const ByteEdge> edges) {
  const int32_t n = a.num_states();
  std::vector<std::vector<int32_t>> byte_preds(n);
  for (const ByteEdge& e : edges)
    if (e.writable) byte_preds[e.target].push_back(e.source);
  struct CallUse {
    int32_t caller;
    CallEdge call;
  };
  std::vector<std::vector<CallUse>> call_uses(n);
  for (int32_t s = 0; s < n; ++s) {
    for (const CallEdge& c : a.calls(s)) {
      call_uses[c.callee_start].push_back({s, c});
      if (c.ret != c.callee_start) call_uses[c.ret].push_back({s, c});
    }
  }
  dist_.assign(n, kUnreachable);
  std::vector<uint8_t> final_(n, 0);
  using Entry = std::pair<int64_t, int32_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue;
  for (int32_t s = 0; s < n; ++s)
    if (a.accepting(s)) queue.emplace(0, s);
  while (!queue.empty()) {
    const auto [v, s] = queue.top();
    queue.pop();
    if (final_[s]) continue;
    final_[s] = 1;
    dist_[s] = v;
    for (int32_t p : byte_preds[s])
      if (!final_[p]) queue.emplace(v + 1, p);
    for (const CallUse& u : call_uses[s]) {
      if (final_[u.caller] || !final_[u.call.callee_start] || !final_[u.call.ret]) continue;
      queue.emplace(dist_[u.call.callee_start] + dist_[u.call.ret], u.caller);
    }
  }
}

// The bound, argued: a byte moves the top frame from s to t (the stack's distance changes
// by dist(t) - dist(s)), then the closure expands calls and pops finished frames. Let
// P(u) be the largest distance of a byte-reading stack in the closure of u alone (frames
// above u's caller, without popping u's own frame). A closure element that keeps t's
// frame then adds at most P(t) - dist(t) on top of that change; one that pops t's frame
// (dist(t) = 0) replaces s and t by the closure of some parent p below: at most
// P(p) - dist(p) - dist(s). So growth <= max(0, max over edges of dist(t) - dist(s)) +
// max(0, max over states of P(u) - dist(u)).
void EndDistances::ComputeGrowthBound(const GrammarAutomaton& a, std::span<const ByteEdge> edges) {
  const int32_t n = a.num_states();
  constexpr int64_t kNone = -1;  // no byte-reading stack in the closure
  std::vector<int64_t> p(n, kNone);
  // P(u) = max(dist(u) if u reads bytes; per call: P(callee) + dist(ret), and P(ret) when
  // the callee can finish without a byte). No left recursion makes the callee chains
  // acyclic, so sweeps settle within n + 1; a grammar that did not is left unbounded.
  bool changed = true;
  for (int32_t sweep = 0; changed && sweep <= n + 1; ++sweep) {
    changed = false;
    for (int32_t u = 0; u < n; ++u) {
      int64_t best = a.allowed_bytes(u).Empty() ? kNone : dist_[u];
      for (const CallEdge& c : a.calls(u)) {
        if (p[c.callee_start] != kNone) best = std::max(best, SaturatingAdd(p[c.callee_start], dist_[c.ret]));
        if (dist_[c.callee_start] == 0) best = std::max(best, p[c.ret]);
      }
      if (best > p[u]) {
        p[u] = best;
        changed = true;
      }
    }
  }
  if (changed) {
    max_growth_per_byte_ = kUnreachable;
    growth_of_byte_.fill(kUnreachable);
    return;
  }
  ComputeGrowthByByte(a, p);
  int64_t closure_growth = 0;
  for (int32_t u = 0; u < n; ++u)
    if (p[u] != kNone) closure_growth = std::max(closure_growth, p[u] - dist_[u]);
  int64_t edge_growth = 0;
  for (const ByteEdge& e : edges) edge_growth = std::max(edge_growth, dist_[e.target] - dist_[e.source]);
  max_growth_per_byte_ = SaturatingAdd(edge_growth, closure_growth);
}

// The same bound edge by edge, kept per byte value. An edge s -> t: a closure element that
// keeps t's frame adds at most P(t) - dist(s) (as above). One that pops t's frame needs
// dist(t) = 0 (t finishes its rule R without a byte: accepting, or through callees that
// can) and continues in the return state r of some call into R, whose closure adds at
// most P(r) - dist(r) to the frames below r, or pops r's frame in turn when dist(r) = 0.
// So it adds at most Pop(R) - dist(s), Pop(R) = max over calls into R of max(P(r) -
// dist(r), Pop(rule of r) where dist(r) = 0). Pop is a max fixed point without additions:
// it settles within one sweep per rule. Popping the root's last frame leaves no stack.
void EndDistances::ComputeGrowthByByte(const GrammarAutomaton& a, std::span<const int64_t> p) {
  constexpr int64_t kNone = -1;  // P's "no byte-reading stack"
  const int32_t n = a.num_states();
  int32_t num_rules = 0;
  for (int32_t s = 0; s < n; ++s) num_rules = std::max(num_rules, a.rule_of(s) + 1);
  std::vector<int64_t> pop(num_rules, kNever);
  for (bool changed = true; changed;) {
    changed = false;
    for (int32_t u = 0; u < n; ++u) {
      for (const CallEdge& c : a.calls(u)) {
        int64_t v = p[c.ret] == kNone ? kNever : Rise(p[c.ret], dist_[c.ret]);
        if (dist_[c.ret] == 0) v = std::max(v, pop[a.rule_of(c.ret)]);
        int64_t& into = pop[a.rule_of(c.callee_start)];
        if (v > into) {
          into = v;
          changed = true;
        }
      }
    }
  }
  growth_of_byte_.fill(kNever);
  ByteSet read;
  for (int32_t s = 0; s < n; ++s) {
    if (a.allowed_bytes(s).Empty()) continue;
    for (int b = 0; b < 256; ++b) {
      const int32_t t = a.Next(s, static_cast<uint8_t>(b));
      if (t < 0) continue;
      read.Add(static_cast<uint8_t>(b));
      int64_t g = p[t] == kNone ? kNever : Rise(p[t], dist_[s]);
      const int64_t popped = pop[a.rule_of(t)];
      if (dist_[t] == 0 && popped != kNever) g = std::max(g, Rise(popped, dist_[s]));
      if (dist_[s] >= kUnreachable) g = kUnreachable;
      growth_of_byte_[b] = std::max(growth_of_byte_[b], g);
    }
  }
  // A byte no state reads is in no allowed token; unbounded keeps that harmless.
  for (int b = 0; b < 256; ++b)
    if (!read.Contains(static_cast<uint8_t>(b))) growth_of_byte_[b] = kUnreachable;
}

// H(s) = max(dist(s), H(t) over byte targets t, and per call (c, r): H(c) + dist(r) while
// inside the callee, H(r) after it). A longest-path fixed point: recursion that adds
// distance on every round has none, so after kMaxSweeps without settling every state is
// left unbounded (sound, only slower: the budgeted mask then checks tokens one by one).
void EndDistances::ComputeReachBound(const GrammarAutomaton& a, std::span<const ByteEdge> edges) {
  constexpr int kMaxSweeps = 64;
  const int32_t n = a.num_states();
  reach_ = dist_;
  bool changed = true;
  for (int sweep = 0; changed && sweep < kMaxSweeps; ++sweep) {
    changed = false;
    for (auto e = edges.rbegin(); e != edges.rend(); ++e) {
      if (reach_[e->target] > reach_[e->source]) {
        reach_[e->source] = reach_[e->target];
        changed = true;
      }
    }
    for (int32_t s = n - 1; s >= 0; --s) {
      for (const CallEdge& c : a.calls(s)) {
        const int64_t best = std::max(SaturatingAdd(reach_[c.callee_start], dist_[c.ret]), reach_[c.ret]);
        if (best > reach_[s]) {
          reach_[s] = best;
          changed = true;
        }
      }
    }
  }
  if (changed) reach_.assign(n, kUnreachable);
}

}  // namespace sgl::constrain
