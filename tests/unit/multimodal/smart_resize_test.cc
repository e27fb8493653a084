// SmartResize against transformers' smart_resize (Qwen2-VL and GLM-4.1V) on 380 sizes,
// including sides under the factor, exact halves and aspect ratios over 200.
#include "multimodal/smart_resize.h"

#include <gtest/gtest.h>

#include "vision_fixtures.h"

namespace sgl::multimodal {
namespace {

TEST(SmartResizeTest, MatchesTransformers) {
  const nlohmann::json reference = test::PreprocessReference();
  ASSERT_GT(reference["smart_resize"].size(), 300u);
  int num_refused = 0;
  for (const auto& row : reference["smart_resize"]) {
    SmartResizeParams params;
    params.rule = row["rule"] == "glm4v" ? ResizeRule::kGlm4v : ResizeRule::kQwen2Vl;
    params.min_pixels = row["min_pixels"];
    params.max_pixels = row["max_pixels"];
    const int height = row["height"], width = row["width"];
    SCOPED_TRACE(row.dump());
    auto ours = SmartResize(height, width, params, "img");
    if (row["resized"].is_null()) {
      ++num_refused;
      ASSERT_FALSE(ours.ok());
      EXPECT_NE(ours.status().message().find("aspect ratio"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(ours.ok()) << ours.status().message();
    EXPECT_EQ(ours->height, row["resized"][0].get<int>());
    EXPECT_EQ(ours->width, row["resized"][1].get<int>());
  }
  EXPECT_GT(num_refused, 0);
}

TEST(SmartResizeTest, RoundsHalvesToEvenAsPython) {
  SmartResizeParams params;  // factor 28: 42 / 28 = 1.5 -> 2, 70 / 28 = 2.5 -> 2
  params.min_pixels = 1;
  auto size = SmartResize(42, 70, params, "img");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->height, 56);
  EXPECT_EQ(size->width, 56);
}

TEST(SmartResizeTest, RefusesEmptyImages) {
  EXPECT_FALSE(SmartResize(0, 10, {}, "img").ok());
}

}  // namespace
}  // namespace sgl::multimodal
