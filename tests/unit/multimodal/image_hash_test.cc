// HashImage: equal pixels and size give equal hashes whatever the encoding; one changed
// byte or a transposed shape gives a different one.
#include "multimodal/image_hash.h"

#include <gtest/gtest.h>

#include "vision_fixtures.h"

namespace sgl::multimodal {
namespace {

TEST(ImageHashTest, DependsOnPixelsAndShapeOnly) {
  // decode_rgba.png and decode_lossless.webp encode the same RGBA picture.
  const Image png = test::LoadFixtureImage("decode_rgba.png");
  const Image webp = test::LoadFixtureImage("decode_lossless.webp");
  ASSERT_EQ(png.rgb, webp.rgb);
  EXPECT_EQ(HashImage(png), HashImage(webp));
  Image changed = png;
  changed.rgb[100] ^= 1;
  EXPECT_NE(HashImage(changed), HashImage(png));
  Image a{2, 3, std::vector<uint8_t>(18, 7)};
  Image b{3, 2, std::vector<uint8_t>(18, 7)};
  EXPECT_NE(HashImage(a), HashImage(b));
}

}  // namespace
}  // namespace sgl::multimodal
