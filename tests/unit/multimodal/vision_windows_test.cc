// ComputeVisionWindows against transformers' get_vision_window_index for the Qwen2.5-VL
// fixture's images (window side 2 merged tokens, grids that do and do not divide evenly),
// and a multi-frame grid worked by hand.
#include "multimodal/vision_windows.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "qwen25vl_fixture.h"

namespace sgl::multimodal {
namespace {

TEST(VisionWindowsTest, MatchesTransformersWindowIndex) {
  const nlohmann::json reference = test::Qwen25VlReference();
  int checked = 0;
  for (const auto& c : reference["cases"]) {
    for (size_t i = 0; i < c["per_image"].size(); ++i) {
      const VisionGrid grid = test::Qwen25VlGrid(c, i);
      SCOPED_TRACE(::testing::Message() << grid.h << "x" << grid.w);
      const VisionWindows windows = ComputeVisionWindows(grid, 2, 2);  // window_size 56 / 2 / 14
      EXPECT_EQ(windows.merged_order, c["per_image"][i]["window_index"].get<std::vector<int32_t>>());
      std::vector<int32_t> cu = {0};
      for (int32_t len : windows.window_num_patches) cu.push_back(cu.back() + len);
      EXPECT_EQ(cu, c["per_image"][i]["cu_window_seqlens"].get<std::vector<int32_t>>());
      ++checked;
    }
  }
  EXPECT_GE(checked, 3);
}

TEST(VisionWindowsTest, FramesAreWindowedOneAfterAnother) {
  // 2 frames of a 2x6-patch grid: 1x3 merged tokens per frame, windows of 2 -> [2, 1] each.
  const VisionWindows windows = ComputeVisionWindows({2, 2, 6}, 2, 2);
  EXPECT_EQ(windows.merged_order, (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(windows.window_num_patches, (std::vector<int32_t>{8, 4, 8, 4}));
  EXPECT_EQ(windows.SourcePatch(5, 4), 5);
}

TEST(VisionWindowsTest, OrderIsAPermutationAndPatchesAddUp) {
  const VisionGrid grid{1, 14, 22};  // 7x11 merged tokens, windows of 4 leave ragged edges
  const VisionWindows windows = ComputeVisionWindows(grid, 2, 4);
  std::vector<int32_t> sorted = windows.merged_order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int32_t> identity(grid.num_merged_tokens(2));
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_EQ(std::accumulate(windows.window_num_patches.begin(), windows.window_num_patches.end(), 0),
            grid.num_patches());
  EXPECT_EQ(windows.window_num_patches.size(), 6u);  // 2 window rows x 3 window columns
}

}  // namespace
}  // namespace sgl::multimodal
