// SampleRowOnHost (and so CpuBackend::SampleRows and the GPU kernel that shares its
// noise): temperature 0 is the argmax with ties to the lowest column; a temperature draw
// is reproducible by seed and follows softmax(logits / T).
#include "backend/sample_noise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace sgl {
namespace {

TEST(SampleNoiseTest, TemperatureZeroIsTheFirstArgmax) {
  const std::vector<float> row = {0.5f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(SampleRowOnHost(row.data(), 4, 0.0f, 99), 1);
  EXPECT_EQ(SampleRowOnHost(row.data(), 1, 0.0f, 99), 0);
}

TEST(SampleNoiseTest, UniformsStayInsideTheOpenInterval) {
  for (uint64_t seed : {0ull, 1ull, ~0ull})
    for (int64_t i = 0; i < 100000; ++i) {
      const float u = UniformOpen(seed, i);
      ASSERT_GT(u, 0.0f);
      ASSERT_LT(u, 1.0f);
    }
}

TEST(SampleNoiseTest, DrawsFollowTheSoftmaxAtTheTemperature) {
  const std::vector<float> row = {1.0f, 2.0f, 0.0f, 2.5f, -3.0f};
  for (float temperature : {0.7f, 1.0f, 2.0f}) {
    std::vector<double> want(row.size());
    double total = 0;
    for (size_t c = 0; c < row.size(); ++c) total += want[c] = std::exp(row[c] / temperature);
    const int n = 40000;
    std::vector<int> counts(row.size());
    for (int i = 0; i < n; ++i) ++counts[SampleRowOnHost(row.data(), 5, temperature, 1000003ull * i + 7)];
    for (size_t c = 0; c < row.size(); ++c) {
      const double p = want[c] / total;
      const double sigma = std::sqrt(n * p * (1 - p));
      EXPECT_NEAR(counts[c], n * p, 5 * sigma + 1) << "column " << c << " at T " << temperature;
    }
  }
}

TEST(SampleNoiseTest, TheSameSeedGivesTheSameToken) {
  std::vector<float> row(1000);
  for (size_t c = 0; c < row.size(); ++c) row[c] = std::sin(static_cast<float>(c));
  int differs = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const int32_t a = SampleRowOnHost(row.data(), 1000, 1.0f, seed);
    EXPECT_EQ(a, SampleRowOnHost(row.data(), 1000, 1.0f, seed));
    differs += a != SampleRowOnHost(row.data(), 1000, 1.0f, seed + 1);
  }
  EXPECT_GT(differs, 150);  // different seeds, mostly different tokens
}

}  // namespace
}  // namespace sgl
