#include "backend/cpu/vec_math.h"

#include <cmath>

#include <gtest/gtest.h>

namespace sgl::cpu {
namespace {

TEST(VecMathTest, ExpMatchesStdExpWithinAFewUlp) {
  double worst = 0;
  for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(ExpF32(x) - want) / want);
  }
  EXPECT_LT(worst, 4e-7);
  EXPECT_EQ(ExpF32(-1000.0f), 0.0f);
  EXPECT_EQ(ExpF32(0.0f), 1.0f);
  EXPECT_TRUE(std::isfinite(ExpF32(1000.0f)));
}

TEST(VecMathTest, TanhMatchesStdTanh) {
  for (float x = -20.0f; x <= 20.0f; x += 0.01f) EXPECT_NEAR(TanhF32(x), std::tanh(x), 2e-7f) << x;
}

}  // namespace
}  // namespace sgl::cpu
