#include "runtime/sampler.h"

#include <map>

#include <gtest/gtest.h>

namespace sgl {
namespace {

TEST(SamplerTest, GreedyPicksArgmaxAtZeroTemperature) {
  Sampler sampler(1);
  SamplingParams p;
  p.temperature = 0;
  std::vector<float> logits = {0.1f, 3.0f, -1.0f, 2.9f};
  EXPECT_EQ(sampler.Sample(logits, p), 1);
}

TEST(SamplerTest, TopKOneIsGreedy) {
  Sampler sampler(1);
  SamplingParams p;
  p.top_k = 1;
  std::vector<float> logits = {0.1f, 3.0f, 2.95f};
  for (int i = 0; i < 50; ++i) EXPECT_EQ(sampler.Sample(logits, p), 1);
}

TEST(SamplerTest, FrequenciesFollowSoftmax) {
  Sampler sampler(42);
  SamplingParams p;
  std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  std::map<int, int> counts;
  const int n = 20000;
  for (int i = 0; i < n; ++i) ++counts[sampler.Sample(logits, p)];
  EXPECT_NEAR(counts[0] / double(n), 0.5, 0.02);
  EXPECT_NEAR(counts[1] / double(n), 0.3, 0.02);
  EXPECT_NEAR(counts[2] / double(n), 0.2, 0.02);
}

TEST(SamplerTest, TopPDropsTheTail) {
  Sampler sampler(7);
  SamplingParams p;
  p.top_p = 0.75f;  // 0.5 + 0.3 reaches 0.75: token 2 must never appear
  std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  std::map<int, int> counts;
  for (int i = 0; i < 5000; ++i) ++counts[sampler.Sample(logits, p)];
  EXPECT_EQ(counts[2], 0);
  EXPECT_NEAR(counts[0] / 5000.0, 0.5 / 0.8, 0.03);
}

TEST(SamplerTest, MinPDropsUnlikelyTokens) {
  Sampler sampler(7);
  SamplingParams p;
  p.min_p = 0.5f;  // keeps tokens with p >= 0.25: tokens 0 and 1
  std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  for (int i = 0; i < 2000; ++i) EXPECT_NE(sampler.Sample(logits, p), 2);
}

TEST(SamplerTest, SameSeedSameSequence) {
  SamplingParams p;
  std::vector<float> logits(100);
  for (int i = 0; i < 100; ++i) logits[i] = std::sin(i * 1.3f);
  Sampler a(99), b(99);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.Sample(logits, p), b.Sample(logits, p));
}

}  // namespace
}  // namespace sgl
