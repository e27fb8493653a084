#include "runtime/logits_processor.h"

#include <cmath>
#include <map>
#include <random>

#include <gtest/gtest.h>

namespace sgl {
namespace {

std::vector<float> Apply(const SamplingParams& p, std::vector<int32_t> prompt, std::vector<int32_t> output) {
  std::vector<float> logits = {2.0f, -2.0f, 1.0f, 0.5f, 3.0f};
  const std::vector<int32_t> eos = {4};
  PenaltyTokens tokens;
  ApplyLogitsProcessing(logits, p, prompt, output, eos, tokens);
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

// The edits as a full walk over the prompt and output computes them each step (the
// reference for the incremental PenaltyTokens).
std::vector<LogitEdit> FullWalkEdits(const SamplingParams& p, std::span<const int32_t> prompt,
                                     std::span<const int32_t> output, std::span<const int32_t> eos, int64_t vocab) {
  std::map<int32_t, LogitEdit> by_column;
  auto valid = [&](int32_t t) { return t >= 0 && t < vocab; };
  auto edit = [&](int32_t t) -> LogitEdit& {
    LogitEdit& e = by_column[t];
    e.column = t;
    return e;
  };
  for (const auto& [token, bias] : p.logit_bias)
    if (valid(token)) edit(token).bias += bias;
  if (p.repetition_penalty != 1.0f)
    for (auto tokens : {prompt, output})
      for (int32_t t : tokens)
        if (valid(t)) edit(t).repetition = p.repetition_penalty;
  if (p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f) {
    std::map<int32_t, int> counts;
    for (int32_t t : output)
      if (valid(t)) ++counts[t];
    for (const auto& [t, n] : counts) edit(t).penalty = p.frequency_penalty * static_cast<float>(n) + p.presence_penalty;
  }
  if (static_cast<int64_t>(output.size()) < p.min_new_tokens)
    for (auto tokens : {eos, std::span<const int32_t>(p.stop_token_ids)})
      for (int32_t t : tokens)
        if (valid(t)) edit(t).forbid = 1;
  std::vector<LogitEdit> edits;
  for (const auto& [t, e] : by_column) edits.push_back(e);
  return edits;
}

void ExpectSameEdits(const std::vector<LogitEdit>& a, const std::vector<LogitEdit>& b, int step) {
  ASSERT_EQ(a.size(), b.size()) << "step " << step;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].column, b[i].column) << "step " << step;
    EXPECT_EQ(a[i].bias, b[i].bias) << "step " << step;
    EXPECT_EQ(a[i].repetition, b[i].repetition) << "step " << step;
    EXPECT_EQ(a[i].penalty, b[i].penalty) << "step " << step;
    EXPECT_EQ(a[i].forbid, b[i].forbid) << "step " << step;
  }
}

// Random requests grown token by token, now and then rolled back (output cut) or swapped
// for another request's sequence: the incremental edits equal the full walk's every step.
TEST(LogitsProcessorTest, IncrementalEditsEqualTheFullWalk) {
  std::mt19937 rng(11);
  const int64_t vocab = 40;
  std::uniform_int_distribution<int32_t> token(-2, 44);  // some ids outside the vocabulary
  const std::vector<int32_t> eos = {3, 39};
  for (int trial = 0; trial < 60; ++trial) {
    SamplingParams p;
    p.repetition_penalty = trial % 3 == 0 ? 1.0f : 1.3f;
    p.frequency_penalty = trial % 4 == 1 ? 0.0f : 0.4f;
    p.presence_penalty = trial % 5 == 2 ? 0.0f : -0.25f;
    p.min_new_tokens = trial % 7;
    p.stop_token_ids = {5, 3};
    p.logit_bias = {{7, 1.5f}, {-1, 2.0f}, {41, 1.0f}, {12, -0.5f}};
    std::vector<int32_t> prompt(static_cast<size_t>(trial % 13 + 1)), output;
    for (int32_t& t : prompt) t = token(rng);
    PenaltyTokens tokens;
    for (int step = 0; step < 80; ++step) {
      std::vector<LogitEdit> incremental;
      AppendLogitEdits(p, prompt, output, eos, vocab, tokens, &incremental);
      ExpectSameEdits(incremental, FullWalkEdits(p, prompt, output, eos, vocab), step);
      const int action = static_cast<int>(rng() % 20);
      if (action == 0 && !output.empty()) {
        output.resize(rng() % output.size());  // rolled back
      } else if (action == 1 && !output.empty()) {
        output.back() = token(rng);  // the last token replaced, same length
      } else if (action == 2) {
        prompt.push_back(token(rng));  // another request's sequence in the same state object
      } else {
        for (int n = static_cast<int>(rng() % 3) + 1; n > 0; --n) output.push_back(token(rng));
      }
    }
  }
}

}  // namespace
}  // namespace sgl
