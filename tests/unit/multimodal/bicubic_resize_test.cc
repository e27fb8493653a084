// ResizeBicubic must equal Pillow's Image.resize(BICUBIC) byte for byte: shrinking (the
// filter widens), growing, one axis only, extreme aspect ratios.
#include "multimodal/bicubic_resize.h"

#include <gtest/gtest.h>

#include "vision_fixtures.h"

namespace sgl::multimodal {
namespace {

TEST(BicubicResizeTest, MatchesPillowExactly) {
  nlohmann::json reference = test::PreprocessReference();
  nlohmann::json cases = reference["cases"];
  cases.insert(cases.end(), reference["resize_only"].begin(), reference["resize_only"].end());
  ASSERT_GE(cases.size(), 14u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["source"].get<std::string>() + " -> " + c["resized"].get<std::string>());
    const Image source = test::LoadFixtureImage(c["source"]);
    const Image expected = test::LoadFixtureImage(c["resized"]);
    ASSERT_EQ(expected.height, c["resized_height"].get<int>());
    const Image ours = ResizeBicubic(source, expected.width, expected.height);
    ASSERT_EQ(ours.width, expected.width);
    ASSERT_EQ(ours.height, expected.height);
    size_t num_different = 0;
    for (size_t i = 0; i < ours.rgb.size(); ++i) num_different += ours.rgb[i] != expected.rgb[i];
    EXPECT_EQ(num_different, 0u) << "of " << ours.rgb.size() << " values";
  }
}

TEST(BicubicResizeTest, SameSizeIsACopy) {
  const Image source = test::LoadFixtureImage("src_56x56.png");
  const Image ours = ResizeBicubic(source, 56, 56);
  EXPECT_EQ(ours.rgb, source.rgb);
}

}  // namespace
}  // namespace sgl::multimodal
