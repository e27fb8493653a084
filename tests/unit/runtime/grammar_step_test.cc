// A constrained step on a toy vocabulary: the mask leaves exactly the tokens the grammar
// allows (stop tokens, the vocabulary's and the request's, only where it can end), the
// accepted token moves the matcher, a request's own stop token ends the grammar, and
// GrammarSpecFor reads the one constraint a request gives; WhereGrammarStopped reports a
// request that ended before its grammar could, or whose grammar failed; a mask whose
// tokens the request's logits processing all forbids leaves nothing.
#include "runtime/grammar_step.h"

#include <cmath>

#include <gtest/gtest.h>

namespace sgl {
namespace {

using constrain::CompiledGrammar;
using constrain::GrammarKind;
using constrain::GrammarMatcher;
using constrain::TokenVocabulary;

const std::vector<int32_t> kStop = {5}, kNoStop = {};

// Ids: 0 "a", 1 "b", 2 "ab", 3 "c", 4 EOS (stop), 5 a special token (request stop).
std::unique_ptr<GrammarMatcher> Matcher(const std::string& regex) {
  auto vocab = std::make_shared<TokenVocabulary>(std::vector<std::string>{"a", "b", "ab", "c", "</s>", "<x>"},
                                                 std::vector<int32_t>{4}, std::vector<int32_t>{5});
  auto grammar = constrain::BuildGrammar({GrammarKind::kRegex, regex, {}});
  EXPECT_TRUE(grammar.ok()) << grammar.status().message();
  auto compiled = CompiledGrammar::Compile(*grammar, vocab);
  EXPECT_TRUE(compiled.ok()) << compiled.status().message();
  return std::make_unique<GrammarMatcher>(*compiled);
}

// Which of the 7 logits (one past the vocabulary) stay finite after the mask.
std::vector<int> Finite(GrammarMatcher& m, const std::vector<int32_t>& request_stops) {
  std::vector<float> logits(7, 1.0f);
  std::vector<uint32_t> scratch;
  EXPECT_TRUE(MaskLogitsByGrammar(m, request_stops, logits, scratch));
  std::vector<int> finite;
  for (int i = 0; i < 7; ++i)
    if (std::isfinite(logits[i])) finite.push_back(i);
  return finite;
}

TEST(GrammarStepTest, MaskAllowsGrammarTokensAndStopsOnlyWhereItCanEnd) {
  auto m = Matcher("ab?c?");
  EXPECT_EQ(Finite(*m, kStop), (std::vector<int>{0, 2}));  // "a", "ab"; cannot end yet
  ASSERT_TRUE(AcceptGrammarToken(*m, kStop, 0));
  EXPECT_EQ(Finite(*m, kStop), (std::vector<int>{1, 3, 4, 5}));  // "b", "c", EOS, the request's stop
  ASSERT_TRUE(AcceptGrammarToken(*m, kStop, 4));
  EXPECT_TRUE(m->IsTerminated());
}

TEST(GrammarStepTest, AllowedTokensForbiddenByEditsLeaveNothing) {
  std::vector<uint32_t> mask(2, 0);
  mask[0] = (1u << 3) | (1u << 9);
  mask[1] = 1u << 1;  // token 33
  const std::vector<LogitEdit> unrelated = {{.column = 4, .forbid = 1}, {.column = 33, .bias = 1.5f}};
  EXPECT_TRUE(SomeAllowedTokenSurvives(mask, unrelated));
  std::vector<LogitEdit> edits = {{.column = 3, .forbid = 1}, {.column = 9, .bias = -INFINITY}};
  EXPECT_TRUE(SomeAllowedTokenSurvives(mask, edits));  // 33 is left
  edits.push_back({.column = 33, .forbid = 1});
  EXPECT_FALSE(SomeAllowedTokenSurvives(mask, edits));
  edits.back() = {.column = 33, .bias = -1e30f, .repetition = 1.2f};  // finite: still a candidate
  EXPECT_TRUE(SomeAllowedTokenSurvives(mask, edits));
  EXPECT_FALSE(SomeAllowedTokenSurvives(std::vector<uint32_t>(2, 0), {}));
  edits.back() = {.column = 64, .forbid = 1};  // past the mask: changes nothing
  EXPECT_TRUE(SomeAllowedTokenSurvives(mask, edits));
}

// "ab{0,5}c" after "a" with 2 tokens left: the budget keeps only "c" (then the stop). A
// logit_bias of -infinity on "c" would leave nothing: the budget yields to the plain mask,
// where "b" survives. Unbudgeted, nothing changes.
TEST(GrammarStepTest, BudgetYieldsWhereTheRowsEditsBanWhatItKept) {
  auto m = Matcher("ab{0,5}c");
  ASSERT_TRUE(AcceptGrammarToken(*m, kNoStop, 0));
  std::vector<uint32_t> mask;
  ASSERT_TRUE(FillGrammarBitmask(*m, kNoStop, mask, 2));
  EXPECT_EQ(mask[0], 1u << 3);
  const std::vector<LogitEdit> ban_c = {{.column = 3, .bias = -INFINITY}};
  auto survives = [&](std::span<const uint32_t> bits) { return SomeAllowedTokenSurvives(bits, ban_c); };
  std::vector<uint32_t> unbudgeted = mask;
  EXPECT_FALSE(YieldBudgetUnlessSomeSurvives(*m, kNoStop, unbudgeted, false, survives));
  EXPECT_EQ(unbudgeted, mask);
  EXPECT_TRUE(YieldBudgetUnlessSomeSurvives(*m, kNoStop, mask, true, survives));
  EXPECT_EQ(mask[0], (1u << 1) | (1u << 3));  // "b" and "c", as unbudgeted
  // Where the budget's tokens survive, it stays.
  std::vector<uint32_t> kept;
  ASSERT_TRUE(FillGrammarBitmask(*m, kNoStop, kept, 2));
  EXPECT_TRUE(YieldBudgetUnlessSomeSurvives(*m, kNoStop, kept, true, [](std::span<const uint32_t>) { return true; }));
  EXPECT_EQ(kept[0], 1u << 3);
}

TEST(GrammarStepTest, WhereGrammarStoppedReportsOnlyBadEnds) {
  auto m = Matcher("ab?c");
  const std::optional<std::string> no_error;
  auto stop = WhereGrammarStopped(*m, 0, no_error);  // nothing generated: not accepting
  ASSERT_TRUE(stop.has_value());
  EXPECT_EQ(stop->token_position, 0);
  EXPECT_EQ(stop->reason, "incomplete");
  ASSERT_TRUE(AcceptGrammarToken(*m, kStop, 2));  // "ab": still needs "c"
  stop = WhereGrammarStopped(*m, 1, no_error);
  ASSERT_TRUE(stop.has_value());
  EXPECT_EQ(stop->token_position, 1);
  ASSERT_TRUE(AcceptGrammarToken(*m, kStop, 3));  // "abc": accepting
  EXPECT_FALSE(WhereGrammarStopped(*m, 2, no_error).has_value());
  stop = WhereGrammarStopped(*m, 2, std::string("the grammar allows no next token"));  // an error wins
  ASSERT_TRUE(stop.has_value());
  EXPECT_EQ(stop->reason, "the grammar allows no next token");
  ASSERT_TRUE(AcceptGrammarToken(*m, kStop, 4));  // terminated by EOS
  EXPECT_FALSE(WhereGrammarStopped(*m, 3, no_error).has_value());
}

TEST(GrammarStepTest, RequestStopTokenEndsTheGrammarOnlyWhereItCanEnd) {
  auto m = Matcher("ab");
  EXPECT_FALSE(AcceptGrammarToken(*m, kStop, 5));  // cannot end before "ab"
  EXPECT_FALSE(AcceptGrammarToken(*m, kStop, 3));  // "c" is refused
  EXPECT_EQ(m->num_steps(), 0);
  ASSERT_TRUE(AcceptGrammarToken(*m, kStop, 2));
  ASSERT_TRUE(AcceptGrammarToken(*m, kStop, 5));
  EXPECT_TRUE(m->IsTerminated());
}

TEST(GrammarStepTest, NothingAllowedIsReported) {
  auto m = Matcher("a");
  ASSERT_TRUE(AcceptGrammarToken(*m, kNoStop, 0));
  ASSERT_TRUE(AcceptGrammarToken(*m, kNoStop, 4));
  std::vector<float> logits(7, 0.0f);
  std::vector<uint32_t> scratch;
  EXPECT_FALSE(MaskLogitsByGrammar(*m, kNoStop, logits, scratch));  // terminated: nothing more
}

TEST(GrammarStepTest, SpecForReadsTheConstraint) {
  SamplingParams p;
  EXPECT_FALSE(GrammarSpecFor(p).has_value());
  p.json_schema = R"({"type": "object"})";
  auto spec = GrammarSpecFor(p);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->kind, GrammarKind::kJsonSchema);
  EXPECT_EQ(spec->text, *p.json_schema);
  p.json_schema.reset();
  p.ebnf = "root ::= \"x\"";
  EXPECT_EQ(GrammarSpecFor(p)->kind, GrammarKind::kEbnf);
}

}  // namespace
}  // namespace sgl
