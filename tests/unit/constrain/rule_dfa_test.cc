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

// Moore's refinement, one round per step, as the reference the fast minimizer must agree
// with: the number of classes of the coarsest stable partition.
size_t MooreClassCount(const RuleDfa& d) {
  size_t n = d.next.size();
  std::vector<int32_t> cls(n);
  auto renumber = [&](const std::vector<std::vector<int32_t>>& sig) {
    std::map<std::vector<int32_t>, int32_t> ids;
    for (size_t s = 0; s < n; ++s) cls[s] = ids.emplace(sig[s], static_cast<int32_t>(ids.size())).first->second;
    return ids.size();
  };
  std::vector<std::vector<int32_t>> sig(n);
  for (size_t s = 0; s < n; ++s) {
    sig[s] = {d.accepting[s]};
    for (const auto& [callee, t] : d.calls[s]) sig[s].push_back(callee);
  }
  size_t count = renumber(sig);
  for (;;) {
    for (size_t s = 0; s < n; ++s) {
      sig[s] = {cls[s]};
      for (int b = 0; b < 256; ++b) sig[s].push_back(d.next[s][b] < 0 ? -1 : cls[d.next[s][b]]);
      for (const auto& [callee, t] : d.calls[s]) sig[s].insert(sig[s].end(), {callee, cls[t]});
    }
    size_t refined = renumber(sig);
    if (refined == count) return count;
    count = refined;
  }
}

TEST(RuleDfaTest, RandomDfasMinimizeToMooresClassCountWithTheSameLanguage) {
  std::mt19937 rng(7);
  const std::string alphabet = "abc";
  for (int trial = 0; trial < 300; ++trial) {
    size_t n = 1 + rng() % 12;
    RuleDfa d = Empty(n);
    for (size_t s = 0; s < n; ++s) {
      for (char c : alphabet) {
        if (rng() % 4 != 0) d.next[s][static_cast<uint8_t>(c)] = static_cast<int32_t>(rng() % n);
      }
      d.accepting[s] = rng() % 3 == 0;
      if (rng() % 5 == 0) d.calls[s].push_back({static_cast<int32_t>(rng() % 2), static_cast<int32_t>(rng() % n)});
    }
    RuleDfa m = MinimizeRuleDfa(d);
    ASSERT_EQ(m.next.size(), MooreClassCount(d)) << "trial " << trial;
    for (int k = 0; k < 200; ++k) {
      std::string text;
      for (size_t len = rng() % 8; len > 0; --len) text += alphabet[rng() % alphabet.size()];
      ASSERT_EQ(Accepts(m, text), Accepts(d, text)) << "trial " << trial << " text " << text;
    }
  }
}

TEST(RuleDfaTest, LongChainsOfRepeatedLiteralsMinimize) {
  // The EBNF fuzzer's `root ::= [^ v=`"] "\x01\x00:'"{963}` shape: a 2-byte literal
  // repeated ~1,000 times, a chain where every state has its own future. One refinement
  // round per state made this quadratic (10 s under ASan); it must stay a chain.
  const int repeats = 2000;
  RuleDfa d = Empty(2 * repeats + 2);
  d.next[0]['x'] = 1;
  for (int i = 0; i < repeats; ++i) {
    d.next[1 + 2 * i]['\''] = 2 + 2 * i;
    d.next[2 + 2 * i]['"'] = 3 + 2 * i;
  }
  d.accepting[2 * repeats + 1] = 1;
  RuleDfa m = MinimizeRuleDfa(d);
  EXPECT_EQ(m.next.size(), d.next.size());
  std::string text = "x";
  for (int i = 0; i < repeats; ++i) text += "'\"";
  EXPECT_TRUE(Accepts(m, text));
  EXPECT_FALSE(Accepts(m, text.substr(0, text.size() - 1)));
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

}  // namespace
}  // namespace sgl::constrain
