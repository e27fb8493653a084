// GrammarMatcher's budgeted mask over the SmolLM2 vocabulary: unchanged while the budget
// is large, always a subset of the plain mask, never empty while the budget suffices, and
// random generations under it end (with a stop token) within any budget of at least the
// grammar's shortest string plus one; a budget too short from the start changes nothing.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "constrain/grammar_compiler.h"
#include "constrain/grammar_matcher.h"
#include "constrain_testing.h"

namespace sgl::constrain {
namespace {

using testing::Allowed;
using testing::CompileOrDie;
using testing::Mask;


std::vector<uint32_t> BudgetedMask(GrammarMatcher& m, int64_t num_remaining_tokens) {
  std::vector<uint32_t> mask(m.grammar().bitmask_words());
  m.FillBudgetedTokenBitmask(mask, num_remaining_tokens);
  return mask;
}

// Grammars the small model loops in (unbounded strings and numbers), nested ones, and ones
// whose cheap and dear branches differ a lot.
const std::vector<std::pair<GrammarKind, std::string>> kGrammars = {
    {GrammarKind::kJsonSchema, R"({"type":"object","properties":{"name":{"type":"string"},"n":{"type":"number"}},
        "required":["name","n"]})"},
    {GrammarKind::kJsonSchema, R"({"type":"object","properties":{"tags":{"type":"array","items":{"type":"string"}},
        "meta":{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}},"required":["tags"]})"},
    {GrammarKind::kJsonObject, ""},
    {GrammarKind::kRegex, "a|b{12}|[0-9]+c{6}"},
    {GrammarKind::kEbnf, "root ::= list\nlist ::= \"[\" (item (\", \" item)*)? \"]\"\nitem ::= list | [a-z]+"},
    {GrammarKind::kJsonSchema, R"({"type":"object","properties":{"v":{"type":"integer"},"note":{"type":"string"},
        "kids":{"type":"array","items":{"$ref":"#"}}},"required":["v","kids"]})"},
};

// The budgeted mask by its definition, token by token: the plain mask's stop tokens, and
// each content token after which the grammar can end within num_remaining_tokens - 2 bytes.
std::vector<uint32_t> BudgetedByDefinition(GrammarMatcher& m, int64_t num_remaining_tokens) {
  std::vector<uint32_t> mask = Mask(m);
  if (m.MinBytesToEnd() + 1 > num_remaining_tokens) return mask;
  for (int32_t id : Allowed(mask)) {
    if (m.grammar().vocab().is_stop(id)) continue;
    EXPECT_TRUE(m.AcceptToken(id));
    if (m.MinBytesToEnd() > num_remaining_tokens - 2) mask[id >> 5] &= ~(1u << (id & 31));
    EXPECT_TRUE(m.Rollback(1).ok());
  }
  return mask;
}

TEST(GrammarMatcherBudgetTest, LargeBudgetLeavesTheMaskAlone) {
  std::mt19937 rng(3);
  for (const auto& [kind, text] : kGrammars) {
    auto g = CompileOrDie(kind, text);
    ASSERT_NE(g, nullptr);
    GrammarMatcher m(g);
    for (int step = 0; step < 20 && !m.IsTerminated(); ++step) {
      const std::vector<uint32_t> plain = Mask(m);
      EXPECT_EQ(BudgetedMask(m, 1 << 20), plain) << text << " step " << step;
      std::vector<int32_t> ids = Allowed(plain);
      ASSERT_FALSE(ids.empty());
      ASSERT_TRUE(m.AcceptToken(ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)]));
    }
  }
}

// The fast paths (reach bounds, per-token growth bounds, the per-top checks) decide exactly
// as the definition, at budgets from just enough to generous, along random generations.
TEST(GrammarMatcherBudgetTest, MaskEqualsTheDefinition) {
  std::mt19937 rng(5);
  for (const auto& [kind, text] : kGrammars) {
    auto g = CompileOrDie(kind, text);
    ASSERT_NE(g, nullptr);
    GrammarMatcher m(g);
    for (int step = 0; step < 12 && !m.IsTerminated(); ++step) {
      const int64_t min_len = m.MinBytesToEnd();
      for (int64_t budget : {min_len + 1, min_len + 2, min_len + 4, min_len + 9, min_len + 40}) {
        EXPECT_EQ(BudgetedMask(m, budget), BudgetedByDefinition(m, budget)) << text << " step " << step << " budget " << budget;
      }
      std::vector<int32_t> ids = Allowed(BudgetedMask(m, min_len + 12));
      ASSERT_FALSE(ids.empty());
      ASSERT_TRUE(m.AcceptToken(ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)]));
    }
  }
}

TEST(GrammarMatcherBudgetTest, TooShortFromTheStartLeavesTheMaskAlone) {
  auto g = CompileOrDie(GrammarKind::kRegex, "ab|c{12}");
  ASSERT_NE(g, nullptr);
  GrammarMatcher m(g);
  EXPECT_EQ(m.MinBytesToEnd(), 2);
  EXPECT_EQ(BudgetedMask(m, 2), Mask(m));  // 2 bytes and a stop need 3 tokens
  // With 3, "c" (11 bytes more) no longer fits, and "a" still does.
  const std::vector<uint32_t> budgeted = BudgetedMask(m, 3);
  EXPECT_NE(budgeted, Mask(m));
  const TokenVocabulary& v = g->vocab();
  for (int32_t id : Allowed(budgeted)) EXPECT_EQ(v.token_bytes(id)[0], 'a') << v.token_bytes(id);
  EXPECT_FALSE(Allowed(budgeted).empty());
  EXPECT_EQ(BudgetedMask(m, 14), Mask(m));  // "c" then 11 more and a stop fit
}

TEST(GrammarMatcherBudgetTest, MinBytesToEndFollowsTheMatcher) {
  auto g = CompileOrDie(GrammarKind::kJsonSchema,
                   R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})");
  ASSERT_NE(g, nullptr);
  GrammarMatcher m(g);
  EXPECT_EQ(m.MinBytesToEnd(), 7);  // {"a":0}
  ASSERT_TRUE(m.AcceptString("{\"a\":12"));
  EXPECT_EQ(m.MinBytesToEnd(), 1);
  ASSERT_TRUE(m.AcceptString("}"));
  EXPECT_EQ(m.MinBytesToEnd(), 0);
  EXPECT_TRUE(m.CanEnd());
}

// The property: for every budget from the grammar's shortest string + 1 up, random
// generations (uniform over the budgeted mask, stop tokens never preferred) end with a
// stop token, accepted, within the budget; each mask is non-empty and within the plain one.
TEST(GrammarMatcherBudgetTest, RandomGenerationsEndWithinTheBudget) {
  std::mt19937 rng(11);
  for (const auto& [kind, text] : kGrammars) {
    auto g = CompileOrDie(kind, text);
    ASSERT_NE(g, nullptr);
    GrammarMatcher m(g);
    const int64_t min_len = m.MinBytesToEnd();
    for (int64_t budget : {min_len + 1, min_len + 2, min_len + 5, min_len + 17}) {
      for (int run = 0; run < 3; ++run) {
        m.Reset();
        int64_t used = 0;
        while (!m.IsTerminated() && used < budget) {
          const std::vector<uint32_t> plain = Mask(m);
          const std::vector<uint32_t> mask = BudgetedMask(m, budget - used);
          std::vector<int32_t> ids = Allowed(mask);
          ASSERT_FALSE(ids.empty()) << text << " budget " << budget << " used " << used;
          for (int32_t id : ids) ASSERT_TRUE((plain[id >> 5] >> (id & 31)) & 1);
          // Content tokens first: a stop token only when it is all that is left.
          std::vector<int32_t> content;
          for (int32_t id : ids)
            if (!g->vocab().is_stop(id)) content.push_back(id);
          const std::vector<int32_t>& pool = content.empty() ? ids : content;
          const int32_t pick = pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)];
          ASSERT_TRUE(m.AcceptToken(pick));
          ++used;
        }
        EXPECT_TRUE(m.IsTerminated()) << text << ": budget " << budget << " ran out";
      }
    }
  }
}

}  // namespace
}  // namespace sgl::constrain
