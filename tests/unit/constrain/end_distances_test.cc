// EndDistances on small regex / EBNF / JSON Schema grammars: each state's distance is the
// shortest way to finish its rule, a stack set's least distance (MinBytesToEnd) is the
// shortest accepted continuation found by breadth-first search over bytes, and one byte
// never raises a byte-reading stack's distance by more than max_growth_per_byte, nor by more
// than that byte's own growth_of_byte.
#include "constrain/end_distances.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "constrain/grammar_compiler.h"
#include "constrain_testing.h"

namespace sgl::constrain {
namespace {

const ByteSet kAllBytes = ByteSet::Range(0, 255);

GrammarAutomaton AutomatonOf(GrammarKind kind, const std::string& text) {
  auto g = BuildGrammar({.kind = kind, .text = text});
  EXPECT_TRUE(g.ok()) << g.status().message();
  auto a = GrammarAutomaton::Build(*g);
  EXPECT_TRUE(a.ok()) << a.status().message();
  return std::move(a).value();
}

int64_t StackDistance(const EndDistances& d, const StackPool& pool, int32_t stack) {
  int64_t sum = 0;
  for (int32_t n = stack; n >= 0; n = pool.node(n).parent) sum += d.to_rule_end(pool.node(n).state);
  return sum;
}

// The largest distance of a stack reachable from `stack`: max over its frames of the
// frame's max_reachable plus the distances below it.
int64_t ReachBound(const EndDistances& d, const StackPool& pool, int32_t stack) {
  std::vector<int32_t> frames;
  for (int32_t n = stack; n >= 0; n = pool.node(n).parent) frames.push_back(pool.node(n).state);
  int64_t below = 0, bound = 0;
  for (auto f = frames.rbegin(); f != frames.rend(); ++f) {
    bound = std::max(bound, d.max_reachable(*f) + below);
    below += d.to_rule_end(*f);
  }
  return bound;
}

int64_t MinDistance(const EndDistances& d, const StackPool& pool, const StackSet& set) {
  if (set.can_end) return 0;
  int64_t best = EndDistances::kUnreachable;
  for (int32_t s : set.ready) best = std::min(best, StackDistance(d, pool, s));
  return best;
}

// The fewest bytes that end the grammar from `start`, by breadth-first search over byte
// strings (stack sets deduplicated); nullopt past `max_len`.
std::optional<int64_t> ShortestEnd(const GrammarAutomaton& a, StackPool& pool, const StackSet& start, int max_len) {
  PdaRunner runner(a, pool);
  std::vector<StackSet> frontier = {start};
  std::set<std::vector<int32_t>> seen;
  for (int len = 0; len <= max_len; ++len) {
    std::vector<StackSet> next;
    for (const StackSet& set : frontier) {
      if (set.can_end) return len;
      for (int b = 0; b < 256; ++b) {
        StackSet out;
        runner.Advance(set, static_cast<uint8_t>(b), out);
        std::vector<int32_t> key = out.ready;
        std::sort(key.begin(), key.end());
        key.push_back(out.can_end ? 1 : 0);
        if (!out.Dead() && seen.insert(key).second) next.push_back(std::move(out));
      }
    }
    frontier = std::move(next);
  }
  return std::nullopt;
}

struct Case {
  GrammarKind kind;
  std::string text;
  int64_t min_len;  // the shortest string the grammar accepts
};

const std::vector<Case> kCases = {
    {GrammarKind::kRegex, "abc", 3},
    {GrammarKind::kRegex, "a|b{5}", 1},
    {GrammarKind::kRegex, "(x[0-9]+)*y", 1},
    {GrammarKind::kRegex, "[a-z]{3,}@[a-z]+\\.(com|org)", 9},
    {GrammarKind::kEbnf, "root ::= \"x\" item item\nitem ::= \"ab\" | \"c\"", 3},
    {GrammarKind::kEbnf, "root ::= list\nlist ::= \"[\" (list (\",\" list)*)? \"]\"", 2},
    {GrammarKind::kEbnf, "root ::= a b\na ::= \"\" | \"q\"\nb ::= a \"zz\" a", 2},
    {GrammarKind::kJsonSchema, R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})", 7},
    {GrammarKind::kJsonSchema,
     R"({"type":"object","properties":{"s":{"type":"string","minLength":3},"n":{"type":"number"}},
        "required":["s","n"]})",
     17},
    {GrammarKind::kJsonSchema, R"({"type":"array","items":{"type":"string"},"minItems":2})", 7},
    // Recursive: no finite reach bound, so budgeted masks lean on the growth bounds.
    {GrammarKind::kJsonSchema,
     R"({"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#"}}},
        "required":["v","kids"]})",
     17},
    {GrammarKind::kEbnf, "root ::= e\ne ::= t (\"+\" t)*\nt ::= \"x\" | \"(\" e \")\" | \"-\" t", 1},
};

TEST(EndDistancesTest, StartDistanceIsTheShortestAcceptedString) {
  for (const Case& c : kCases) {
    GrammarAutomaton a = AutomatonOf(c.kind, c.text);
    EndDistances d = EndDistances::Compute(a, kAllBytes);
    StackPool pool;
    PdaRunner runner(a, pool);
    EXPECT_EQ(MinDistance(d, pool, runner.Start()), c.min_len) << c.text;
    EXPECT_EQ(d.to_rule_end(a.root_start()), c.min_len) << c.text;
  }
}

TEST(EndDistancesTest, RegexStatesCountDownAlongTheirShortestPath) {
  GrammarAutomaton a = AutomatonOf(GrammarKind::kRegex, "a|b{5}");
  EndDistances d = EndDistances::Compute(a, kAllBytes);
  const int32_t after_b = a.Next(a.root_start(), 'b');
  ASSERT_GE(after_b, 0);
  EXPECT_EQ(d.to_rule_end(after_b), 4);  // the cheap branch is gone: four more b's
  EXPECT_EQ(d.to_rule_end(a.Next(a.root_start(), 'a')), 0);
  EXPECT_GE(d.max_growth_per_byte(), 3);  // 'b' raises the distance from 1 to 4
}

TEST(EndDistancesTest, PathsAvoidBytesWithoutATokenOfTheirOwn) {
  GrammarAutomaton a = AutomatonOf(GrammarKind::kRegex, "a|bc");
  ByteSet writable = kAllBytes;
  writable.Subtract(ByteSet::Single('a'));
  EXPECT_EQ(EndDistances::Compute(a, kAllBytes).to_rule_end(a.root_start()), 1);
  EXPECT_EQ(EndDistances::Compute(a, writable).to_rule_end(a.root_start()), 2);
  writable.Subtract(ByteSet::Single('c'));
  EXPECT_GE(EndDistances::Compute(a, writable).to_rule_end(a.root_start()), EndDistances::kUnreachable);
}

// Along random accepted strings, at every prefix: MinBytesToEnd equals breadth-first
// search, each byte's resulting stacks stay within the growth bound, and no stack is
// farther from the end than an earlier prefix's reach bound allowed.
TEST(EndDistancesTest, MatchesSearchAndGrowthBoundAlongRandomWalks) {
  std::mt19937 rng(7);
  for (const Case& c : kCases) {
    GrammarAutomaton a = AutomatonOf(c.kind, c.text);
    EndDistances d = EndDistances::Compute(a, kAllBytes);
    for (int walk = 0; walk < 6; ++walk) {
      auto text = testing::RandomWalk(a, rng, 24);
      if (!text) continue;
      StackPool pool;
      PdaRunner runner(a, pool);
      StackSet cur = runner.Start(), next;
      int64_t reach = EndDistances::kUnreachable;
      for (size_t i = 0; i <= text->size(); ++i) {
        int64_t reach_now = 0;
        for (int32_t s : cur.ready) {
          EXPECT_LE(StackDistance(d, pool, s), reach) << c.text << " after " << text->substr(0, i);
          reach_now = std::max(reach_now, ReachBound(d, pool, s));
        }
        reach = std::min(reach, reach_now);
        auto shortest = ShortestEnd(a, pool, cur, 24);
        ASSERT_TRUE(shortest.has_value()) << c.text;
        EXPECT_EQ(MinDistance(d, pool, cur), *shortest) << c.text << " after " << text->substr(0, i);
        if (i == text->size()) break;
        int64_t before = 0;
        for (int32_t s : cur.ready) before = std::max(before, StackDistance(d, pool, s));
        runner.Advance(cur, static_cast<uint8_t>((*text)[i]), next);
        const uint8_t b = static_cast<uint8_t>((*text)[i]);
        for (int32_t s : next.ready) {
          EXPECT_LE(StackDistance(d, pool, s), before + d.max_growth_per_byte()) << c.text;
          EXPECT_LE(StackDistance(d, pool, s), before + d.growth_of_byte(b)) << c.text << " byte " << int{b};
        }
        std::swap(cur, next);
      }
    }
  }
}

TEST(EndDistancesTest, ReachIsBoundedWithoutRecursionAndNotWithIt) {
  GrammarAutomaton flat = AutomatonOf(GrammarKind::kRegex, "a|b{5}");
  EXPECT_EQ(EndDistances::Compute(flat, kAllBytes).max_reachable(flat.root_start()), 4);
  GrammarAutomaton nested = AutomatonOf(GrammarKind::kEbnf, "root ::= list\nlist ::= \"[\" list? \"]\"");
  EXPECT_GE(EndDistances::Compute(nested, kAllBytes).max_reachable(nested.root_start()), EndDistances::kUnreachable);
}

TEST(EndDistancesTest, RuleThatNeverEndsIsUnreachable) {
  GrammarAutomaton a = AutomatonOf(GrammarKind::kEbnf, "root ::= \"a\" | \"b\" loop\nloop ::= \"x\" loop");
  EndDistances d = EndDistances::Compute(a, kAllBytes);
  EXPECT_EQ(d.to_rule_end(a.root_start()), 1);
  const int32_t after_b = a.Next(a.root_start(), 'b');
  if (after_b >= 0) EXPECT_GE(d.to_rule_end(after_b), EndDistances::kUnreachable);
}

}  // namespace
}  // namespace sgl::constrain
