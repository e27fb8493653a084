// select's decision rule (RuntimeEndpoint.select + token_length_normalized).
#include "lang/choice_selection.h"

#include <gtest/gtest.h>

namespace sgl::lang {
namespace {

PromptTokenLogprob T(std::optional<double> logprob, std::string text) { return {logprob, 0, std::move(text)}; }

TEST(ChoiceSelectionTest, MeanOfLogprobsPicksTheHighest) {
  // The prompt "Q: A:" does not end with " Q" (the first scored token), so it stays in.
  const std::vector<std::vector<PromptTokenLogprob>> lp = {
      {T(-1.0, " Q"), T(-0.5, ":"), T(-3.0, " yes")},
      {T(-1.0, " Q"), T(-0.5, ":"), T(-1.5, " no")},
  };
  ChoiceDecision d = TokenLengthNormalized("Q: A:", lp);
  EXPECT_EQ(d.index, 1u);
  EXPECT_DOUBLE_EQ(d.normalized_prompt_logprobs[0], (-1.0 - 0.5 - 3.0) / 3);
  EXPECT_DOUBLE_EQ(d.normalized_prompt_logprobs[1], (-1.0 - 0.5 - 1.5) / 3);
}

TEST(ChoiceSelectionTest, ZeroAndMissingLogprobsAreLeftOutOfTheMean) {
  const std::vector<std::vector<PromptTokenLogprob>> lp = {{T(std::nullopt, "a"), T(0.0, "b"), T(-2.0, "c"), T(-4.0, "d")}};
  EXPECT_DOUBLE_EQ(TokenLengthNormalized("xyz", lp).normalized_prompt_logprobs[0], -3.0);
}

TEST(ChoiceSelectionTest, APromptEndingWithTheFirstTokenTakesItBackOut) {
  // Python: (mean * n - first) / (n - 1), with n counting every position.
  const std::vector<std::vector<PromptTokenLogprob>> lp = {{T(-2.0, " A:"), T(-1.0, " yes"), T(-3.0, "!")}};
  const double mean = (-2.0 - 1.0 - 3.0) / 3;
  EXPECT_DOUBLE_EQ(TokenLengthNormalized("Q: A:", lp).normalized_prompt_logprobs[0], (mean * 3 + 2.0) / 2);
}

TEST(ChoiceSelectionTest, TiesGoToTheFirstChoice) {
  const std::vector<std::vector<PromptTokenLogprob>> lp = {{T(-1.0, "x"), T(-1.0, "a")}, {T(-1.0, "x"), T(-1.0, "b")}};
  EXPECT_EQ(TokenLengthNormalized("p", lp).index, 0u);
}

}  // namespace
}  // namespace sgl::lang
