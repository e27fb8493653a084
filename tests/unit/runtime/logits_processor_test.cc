#include "runtime/logits_processor.h"

#include <cmath>

#include <gtest/gtest.h>

namespace sgl {
namespace {

std::vector<float> Apply(const SamplingParams& p, std::vector<int32_t> prompt, std::vector<int32_t> output) {
  std::vector<float> logits = {2.0f, -2.0f, 1.0f, 0.5f, 3.0f};
  const std::vector<int32_t> eos = {4};
  ApplyLogitsProcessing(logits, p, prompt, output, eos);
  return logits;
}

TEST(LogitsProcessorTest, DefaultsChangeNothing) {
  EXPECT_EQ(Apply(SamplingParams{}, {0, 1}, {2, 2}), (std::vector<float>{2.0f, -2.0f, 1.0f, 0.5f, 3.0f}));
}

TEST(LogitsProcessorTest, RepetitionPenaltyCoversPromptAndOutput) {
  SamplingParams p;
  p.repetition_penalty = 2.0f;
  EXPECT_EQ(Apply(p, {0, 1}, {3}), (std::vector<float>{1.0f, -4.0f, 1.0f, 0.25f, 3.0f}));
}

TEST(LogitsProcessorTest, FrequencyAndPresenceCountOutputOnly) {
  SamplingParams p;
  p.frequency_penalty = 0.5f;
  p.presence_penalty = 0.25f;
  const auto l = Apply(p, {0, 0, 0}, {2, 2, 3});
  EXPECT_FLOAT_EQ(l[0], 2.0f);                 // prompt tokens are not penalized
  EXPECT_FLOAT_EQ(l[2], 1.0f - 1.0f - 0.25f);  // twice in the output
  EXPECT_FLOAT_EQ(l[3], 0.5f - 0.5f - 0.25f);
}

TEST(LogitsProcessorTest, MinNewTokensBlocksEosAndStopTokens) {
  SamplingParams p;
  p.min_new_tokens = 2;
  p.stop_token_ids = {0};
  auto l = Apply(p, {}, {1});
  EXPECT_TRUE(std::isinf(l[4]) && l[4] < 0);
  EXPECT_TRUE(std::isinf(l[0]) && l[0] < 0);
  l = Apply(p, {}, {1, 1});  // two out: allowed again
  EXPECT_FLOAT_EQ(l[4], 3.0f);
}

TEST(LogitsProcessorTest, LogitBiasAddsAndIgnoresUnknownTokens) {
  SamplingParams p;
  p.logit_bias = {{1, 5.0f}, {99, 1.0f}, {-3, 1.0f}};
  EXPECT_FLOAT_EQ(Apply(p, {}, {})[1], 3.0f);
}

}  // namespace
}  // namespace sgl
