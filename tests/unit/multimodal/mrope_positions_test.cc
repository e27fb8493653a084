// ComputeMropePositions against Glm4vModel.get_rope_index on the fixture's prompts, and its
// refusals when placeholders and images disagree.
#include "multimodal/mrope_positions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "glm4v_fixture.h"

namespace sgl::multimodal {
namespace {

constexpr int32_t kImageToken = 500;

TEST(MropePositionsTest, MatchesTransformersGetRopeIndex) {
  const nlohmann::json reference = test::Glm4vReference();
  ASSERT_GE(reference["cases"].size(), 2u);
  for (const auto& c : reference["cases"]) {
    const std::vector<int32_t> ids = c["input_ids"].get<std::vector<int32_t>>();
    const VisionGrid grids[] = {test::GridOf(c)};
    auto positions = ComputeMropePositions(ids, kImageToken, grids, 2);
    ASSERT_TRUE(positions.ok()) << positions.status().message();
    for (int axis = 0; axis < 3; ++axis) {
      EXPECT_EQ(positions->axes[axis], c["mrope_position_ids"][axis].get<std::vector<int32_t>>()) << axis;
    }
    EXPECT_EQ(positions->rope_delta(), c["rope_delta"].get<int32_t>());
  }
}

TEST(MropePositionsTest, TextOnlyPromptsCountUp) {
  const std::vector<int32_t> ids = {5, 6, 7};
  auto positions = ComputeMropePositions(ids, kImageToken, {}, 2);
  ASSERT_TRUE(positions.ok());
  EXPECT_EQ(positions->axes[1], (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(positions->rope_delta(), 0);
}

TEST(MropePositionsTest, RefusesPlaceholdersThatDisagreeWithImages) {
  const std::vector<int32_t> ids = {5, kImageToken, kImageToken, 6};
  const VisionGrid two_tokens[] = {{1, 2, 4}};
  const VisionGrid three_tokens[] = {{1, 2, 6}};
  EXPECT_TRUE(ComputeMropePositions(ids, kImageToken, two_tokens, 2).ok());
  auto wrong = ComputeMropePositions(ids, kImageToken, three_tokens, 2);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), ::testing::HasSubstr("needs 3 placeholder tokens but the prompt has 2"));
  EXPECT_FALSE(ComputeMropePositions(ids, kImageToken, {}, 2).ok());
  const VisionGrid two_images[] = {{1, 2, 4}, {1, 2, 4}};
  EXPECT_FALSE(ComputeMropePositions(ids, kImageToken, two_images, 2).ok());
}

}  // namespace
}  // namespace sgl::multimodal
