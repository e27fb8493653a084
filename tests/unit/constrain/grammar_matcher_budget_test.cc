// GrammarMatcher's budgeted mask over the SmolLM2 vocabulary: unchanged while the budget
// is large, always a subset of the plain mask, never empty while the budget suffices, and
// random generations under it end (with a stop token) within any budget of at least the
// grammar's shortest string plus one; a budget too short from the start changes nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
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

// Runs `check` at each of the first `steps` states of a random generation (uniform over
// the plain mask) of every grammar above.
template <typename Check>
void AlongRandomGenerations(uint32_t seed, int steps, Check check) {
  std::mt19937 rng(seed);
  for (const auto& [kind, text] : kGrammars) {
    auto g = CompileOrDie(kind, text);
    ASSERT_NE(g, nullptr);
    GrammarMatcher m(g);
    for (int step = 0; step < steps && !m.IsTerminated(); ++step) {
      check(m, text + " step " + std::to_string(step));
      std::vector<int32_t> ids = Allowed(Mask(m));
      ASSERT_FALSE(ids.empty());
      ASSERT_TRUE(m.AcceptToken(ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)]));
    }
  }
}

TEST(GrammarMatcherBudgetTest, LargeBudgetLeavesTheMaskAlone) {
  AlongRandomGenerations(3, 20, [](GrammarMatcher& m, const std::string& where) {
    EXPECT_EQ(BudgetedMask(m, 1 << 20), Mask(m)) << where;
  });
}

// The fast paths (reach bounds, per-token growth bounds, the trie walks) decide exactly as
// the definition, at budgets from just enough to generous, along random generations.
TEST(GrammarMatcherBudgetTest, MaskEqualsTheDefinition) {
  AlongRandomGenerations(5, 12, [](GrammarMatcher& m, const std::string& where) {
    const int64_t min_len = m.MinBytesToEnd();
    for (int64_t budget : {min_len + 1, min_len + 2, min_len + 4, min_len + 9, min_len + 40})
      EXPECT_EQ(BudgetedMask(m, budget), BudgetedByDefinition(m, budget)) << where << " budget " << budget;
  });
}

bool HasContent(GrammarMatcher& m, const std::vector<uint32_t>& mask) {
  for (int32_t id : Allowed(mask))
    if (!m.grammar().vocab().is_stop(id)) return true;
  return false;
}

// min_new_tokens forbids the stop: where the budget alone would leave stop tokens only,
// it steers to end complete at the length limit instead, and with nothing left for that
// either, it yields to the plain mask. Here "[a-z]+" after "abc", one token left and that
// one may not stop: the plain budget keeps only the stop; now every letter token, each of
// which leaves the grammar complete.
TEST(GrammarMatcherBudgetTest, MinNewTokensSteersToTheLengthLimit) {
  auto g = CompileOrDie(GrammarKind::kRegex, "[a-z]+");
  ASSERT_NE(g, nullptr);
  GrammarMatcher m(g);
  ASSERT_TRUE(m.AcceptString("abc"));
  EXPECT_FALSE(HasContent(m, BudgetedMask(m, 1)));
  std::vector<uint32_t> mask(g->bitmask_words());
  m.FillBudgetedTokenBitmask(mask, 1, 1);
  ASSERT_TRUE(HasContent(m, mask));
  EXPECT_EQ(mask, Mask(m));  // every letter token ends complete
  // With the stop allowed, exactly the plain budget.
  m.FillBudgetedTokenBitmask(mask, 1, 0);
  EXPECT_EQ(mask, BudgetedMask(m, 1));
  // Two tokens left, the first may not stop: still steered, the stop kept for the last.
  auto pairs = CompileOrDie(GrammarKind::kRegex, "(xq){1,40}");
  ASSERT_NE(pairs, nullptr);
  GrammarMatcher p(pairs);
  ASSERT_TRUE(p.AcceptString("xq"));
  std::vector<uint32_t> two(pairs->bitmask_words());
  p.FillBudgetedTokenBitmask(two, 2, 1);
  ASSERT_TRUE(HasContent(p, two));
  for (int32_t id : Allowed(two)) {
    if (pairs->vocab().is_stop(id)) continue;
    ASSERT_TRUE(p.AcceptToken(id));
    EXPECT_LE(p.MinBytesToEnd(), 1) << pairs->vocab().token_bytes(id);  // complete at the limit
    ASSERT_TRUE(p.Rollback(1).ok());
  }
}

// Along random generations, for every min_new_tokens: the mask never lacks a content token
// while the stop is forbidden and the plain mask has one, and never allows what the plain
// mask refuses.
TEST(GrammarMatcherBudgetTest, MinNewTokensNeverLeavesOnlyTheForbiddenStop) {
  std::mt19937 rng(17);
  for (const auto& [kind, text] : kGrammars) {
    auto g = CompileOrDie(kind, text);
    ASSERT_NE(g, nullptr);
    GrammarMatcher m(g);
    const int64_t min_len = m.MinBytesToEnd();
    for (int64_t budget : {min_len + 1, min_len + 3}) {
      for (int64_t min_new : {budget - 1, budget}) {
        m.Reset();
        for (int64_t used = 0; used < budget && !m.IsTerminated(); ++used) {
          const int64_t without_stop = std::max<int64_t>(0, min_new - used);
          std::vector<uint32_t> mask(g->bitmask_words());
          m.FillBudgetedTokenBitmask(mask, budget - used, without_stop);
          const std::vector<uint32_t> plain = Mask(m);
          for (int32_t id : Allowed(mask)) ASSERT_TRUE((plain[id >> 5] >> (id & 31)) & 1);
          std::vector<int32_t> pool;
          for (int32_t id : Allowed(mask))
            if (!g->vocab().is_stop(id) || without_stop == 0) pool.push_back(id);
          if (without_stop > 0) ASSERT_EQ(pool.empty(), !HasContent(m, plain)) << text << " used " << used;
          if (pool.empty()) break;
          ASSERT_TRUE(m.AcceptToken(pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)]));
        }
      }
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
