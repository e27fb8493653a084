#include "constrain/rule_dfa.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sgl::constrain
