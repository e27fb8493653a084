// VisionPatchPositions against transformers' get_vision_position_ids (recorded in the
// GLM-4.1V fixture), plus the block-major layout spelled out on a small grid.
#include "multimodal/vision_grid.h"

#include <gtest/gtest.h>

#include "glm4v_fixture.h"

namespace sgl::multimodal {
namespace {

TEST(VisionGridTest, PositionsMatchTransformers) {
  const nlohmann::json reference = test::Glm4vReference();
  ASSERT_GE(reference["cases"].size(), 2u);
  for (const auto& c : reference["cases"]) {
    const VisionGrid grid = test::GridOf(c);
    const std::vector<PatchPosition> positions = VisionPatchPositions(grid, 2);
    ASSERT_EQ(positions.size(), c["vision_position_ids"].size());
    for (size_t i = 0; i < positions.size(); ++i) {
      EXPECT_EQ(positions[i].row, c["vision_position_ids"][i][0].get<int>()) << i;
      EXPECT_EQ(positions[i].col, c["vision_position_ids"][i][1].get<int>()) << i;
    }
  }
}

TEST(VisionGridTest, BlocksOfMergeSizeComeFirst) {
  const std::vector<PatchPosition> positions = VisionPatchPositions({1, 2, 4}, 2);
  const int expected[8][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}};
  ASSERT_EQ(positions.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(positions[i].row, expected[i][0]);
    EXPECT_EQ(positions[i].col, expected[i][1]);
  }
  EXPECT_EQ(VisionGrid({1, 2, 4}).num_merged_tokens(2), 2);
}

}  // namespace
}  // namespace sgl::multimodal
