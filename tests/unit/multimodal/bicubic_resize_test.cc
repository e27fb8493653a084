// ResizeBicubic must equal Pillow's Image.resize(BICUBIC) byte for byte: shrinking (the
// filter widens), growing, one axis only, extreme aspect ratios, and both pass orders
// (Pillow 13 runs the vertical pass first when the height loses more than twice as many
// pixels as the width; the 8-bit rounding between passes makes the order visible).
#include "multimodal/bicubic_resize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "vision_fixtures.h"

namespace sgl::multimodal {
namespace {

std::string Fnv1a64(const std::vector<uint8_t>& bytes) {
  uint64_t hash = 0xCBF29CE484222325ull;
  for (const uint8_t byte : bytes) hash = (hash ^ byte) * 0x100000001B3ull;
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

// make_resize_fixtures.py's source(): 7 bits of hashed noise over a checkerboard of 128.
Image SyntheticSource(int width, int height) {
  Image image;
  image.width = width;
  image.height = height;
  image.rgb.resize(image.num_pixels() * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) {
        uint32_t h = uint32_t(x) * 0x9E3779B1u + uint32_t(y) * 0x85EBCA77u + uint32_t(c) * 0xC2B2AE3Du;
        h ^= h >> 15;
        h *= 0x2C1B3C6Du;
        h ^= h >> 12;
        h *= 0x297A2D39u;
        h ^= h >> 15;
        const int checker = ((x / 3 + y / 2) % 2) * 128;
        image.rgb[(size_t(y) * width + x) * 3 + c] = static_cast<uint8_t>((h >> 25) + checker);
      }
    }
  }
  return image;
}

TEST(BicubicResizeTest, MatchesPillowOnManySizePairs) {
  const nlohmann::json reference = test::PillowBicubicReference();
  ASSERT_GE(reference["cases"].size(), 40u);
  int num_vertical_first = 0;
  for (const auto& c : reference["cases"]) {
    const int width = c["width"], height = c["height"];
    const Image source = SyntheticSource(c["source_width"], c["source_height"]);
    SCOPED_TRACE(std::to_string(source.width) + "x" + std::to_string(source.height) + " -> " +
                 std::to_string(width) + "x" + std::to_string(height) + " (Pillow: " +
                 c["order"].get<std::string>() + ")");
    ASSERT_EQ(Fnv1a64(source.rgb), c["source_fnv1a64"]) << "SyntheticSource differs from the script's source()";
    num_vertical_first += c["order"] == "vertical_first";
    const Image ours = ResizeBicubic(source, width, height);
    ASSERT_EQ(ours.width, width);
    ASSERT_EQ(ours.height, height);
    int max_abs_diff = 0;
    for (const auto& sample : c["samples"]) {
      max_abs_diff = std::max(max_abs_diff, std::abs(ours.rgb[sample[0].get<size_t>()] - sample[1].get<int>()));
    }
    EXPECT_EQ(max_abs_diff, 0) << "over the sampled values";
    EXPECT_EQ(Fnv1a64(ours.rgb), c["fnv1a64"]) << "hash of all " << ours.rgb.size() << " values";
  }
  // The fixture must keep covering the order the old horizontal-first code got wrong.
  EXPECT_GE(num_vertical_first, 10);
}

TEST(BicubicResizeTest, MatchesPillowOnFixtureImages) {
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
