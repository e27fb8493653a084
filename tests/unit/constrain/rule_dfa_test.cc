#include "constrain/rule_dfa.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <string_view>

#include "constrain/json_value_exprs.h"
#include "constrain_testing.h"

namespace sgl::constrain {
namespace {

RuleDfa Empty(size_t n) {
  RuleDfa d;
  d.next.resize(n);
  for (auto& row : d.next) row.fill(-1);
  d.accepting.assign(n, 0);
  d.calls.resize(n);
  return d;
}

bool Accepts(const RuleDfa& d, std::string_view text) {
  int32_t s = 0;
  for (char c : text) {
    s = d.next[s][static_cast<uint8_t>(c)];
    if (s < 0) return false;
  }
  return d.accepting[s] != 0;
}

TEST(RuleDfaTest, MergesStatesWithTheSameFuture) {
  // a(b|c)d spelled with separate states after b and after c.
  RuleDfa d = Empty(5);
  d.next[0]['a'] = 1;
  d.next[1]['b'] = 2;
  d.next[1]['c'] = 3;
  d.next[2]['d'] = 4;
  d.next[3]['d'] = 4;
  d.accepting[4] = 1;
  RuleDfa m = MinimizeRuleDfa(d);
  EXPECT_EQ(m.next.size(), 4u);
  for (std::string_view s : {"abd", "acd", "ab", "ad", "abdd", ""}) EXPECT_EQ(Accepts(m, s), Accepts(d, s)) << s;
}

TEST(RuleDfaTest, CallEdgesAndAcceptanceKeepStatesApart) {
  // States 1 and 2 read the same bytes, but only 1 calls rule 7 / only 2 accepts.
  RuleDfa d = Empty(4);
  d.next[0]['x'] = 1;
  d.next[0]['y'] = 2;
  d.next[1]['z'] = 3;
  d.next[2]['z'] = 3;
  d.calls[1].push_back({7, 3});
  d.accepting[3] = 1;
  EXPECT_EQ(MinimizeRuleDfa(d).next.size(), 4u);
  d.calls[1].clear();
  EXPECT_EQ(MinimizeRuleDfa(d).next.size(), 3u);
  d.accepting[2] = 1;
  RuleDfa m = MinimizeRuleDfa(d);
  EXPECT_EQ(m.next.size(), 4u);
  EXPECT_TRUE(Accepts(m, "y"));
  EXPECT_FALSE(Accepts(m, "x"));
}

TEST(RuleDfaTest, BoundedJsonStringsKeepTheirLanguageWithFewerStates) {
  Grammar g;
  g.root_rule = g.AddRule("root", JsonStringExpr(2, 40));
  auto a = GrammarAutomaton::Build(g);
  ASSERT_TRUE(a.ok()) << a.status().message();
  // Minimal per character position: the position, 6 inside an escape (\ \u, hex digits
  // left, the \uD8-\uDB surrogate check), 7 inside UTF-8 sequences; subset construction
  // alone left several times that.
  EXPECT_LE(a->num_states(), 41 * 14 + 2);
  EXPECT_TRUE(testing::Accepts(*a, "\"ab\""));
  EXPECT_TRUE(testing::Accepts(*a, "\"\\u00e9\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\""));
  EXPECT_FALSE(testing::Accepts(*a, "\"a\""));
  EXPECT_TRUE(testing::Accepts(*a, "\"" + std::string(40, 'x') + "\""));
  EXPECT_FALSE(testing::Accepts(*a, "\"" + std::string(41, 'x') + "\""));
  EXPECT_FALSE(testing::Accepts(*a, "\"\xE2\x82\""));  // a cut UTF-8 sequence
}

// The textbook minimization, kept here as the reference: refine state signatures (class,
// next classes per byte, call edges with target classes) until the class count holds,
// numbering classes by first appearance in state order.
RuleDfa MooreMinimize(const RuleDfa& dfa) {
  size_t n = dfa.next.size();
  std::vector<int32_t> cls(n, 0);
  int32_t num_classes = 0;
  for (int round = 0;; ++round) {
    std::map<std::vector<int32_t>, int32_t> ids;
    std::vector<int32_t> next_cls(n);
    for (size_t s = 0; s < n; ++s) {
      std::vector<int32_t> sig{dfa.accepting[s], round == 0 ? 0 : cls[s]};
      for (int b = 0; b < 256; ++b) sig.push_back(dfa.next[s][b] < 0 ? -1 : (round == 0 ? 0 : cls[dfa.next[s][b]]));
      for (const auto& [callee, t] : dfa.calls[s]) {
        sig.push_back(callee);
        sig.push_back(round == 0 ? 0 : cls[t]);
      }
      next_cls[s] = ids.emplace(sig, static_cast<int32_t>(ids.size())).first->second;
    }
    cls = next_cls;
    if (round > 0 && static_cast<int32_t>(ids.size()) == num_classes) break;
    num_classes = static_cast<int32_t>(ids.size());
  }
  RuleDfa out = Empty(num_classes);
  std::vector<uint8_t> done(num_classes, 0);
  for (size_t s = 0; s < n; ++s) {
    int32_t c = cls[s];
    if (done[c]++) continue;
    for (int b = 0; b < 256; ++b) out.next[c][b] = dfa.next[s][b] < 0 ? -1 : cls[dfa.next[s][b]];
    out.accepting[c] = dfa.accepting[s];
    for (const auto& [callee, t] : dfa.calls[s]) out.calls[c].push_back({callee, cls[t]});
  }
  return out;
}

// Random partial DFAs over a few bytes with redundant copies (each state duplicated with
// its edges pointing into either copy), some call edges and unreachable or dead states.
RuleDfa RandomDfa(std::mt19937& rng, int32_t base_states) {
  int32_t n = base_states * 2;
  RuleDfa d = Empty(static_cast<size_t>(n));
  std::uniform_int_distribution<int32_t> state(0, base_states - 1), coin(0, 3);
  const std::string bytes = "ab\"x\xC3";
  for (int32_t s = 0; s < base_states; ++s) {
    bool accepting = coin(rng) == 0;
    std::vector<std::pair<uint8_t, int32_t>> edges;
    for (char c : bytes) {
      if (coin(rng) != 0) edges.push_back({static_cast<uint8_t>(c), state(rng)});
    }
    std::vector<std::pair<int32_t, int32_t>> calls;
    if (coin(rng) == 0) calls.push_back({coin(rng), state(rng)});
    for (int32_t copy = 0; copy < 2; ++copy) {
      int32_t at = s + copy * base_states;
      d.accepting[at] = accepting;
      for (auto [b, t] : edges) d.next[at][b] = t + (coin(rng) & 1) * base_states;
      for (auto [callee, t] : calls) d.calls[at].push_back({callee, t + (coin(rng) & 1) * base_states});
    }
  }
  return d;
}

TEST(RuleDfaTest, EqualsTextbookRefinementOnRandomDfas) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    RuleDfa d = RandomDfa(rng, 1 + trial % 40);
    RuleDfa fast = MinimizeRuleDfa(d), reference = MooreMinimize(d);
    ASSERT_EQ(fast.next.size(), reference.next.size()) << "trial " << trial;
    EXPECT_EQ(fast.next, reference.next) << "trial " << trial;
    EXPECT_EQ(fast.accepting, reference.accepting) << "trial " << trial;
    EXPECT_EQ(fast.calls, reference.calls) << "trial " << trial;
  }
}

}  // namespace
}  // namespace sgl::constrain
