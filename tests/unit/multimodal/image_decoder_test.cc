// DecodeImage against Pillow + transformers' convert_to_rgb on the same files (every
// format, alpha over white, palettes with transparency), and its refusals.
#include "multimodal/image_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "vision_fixtures.h"

namespace sgl::multimodal {
namespace {

using ::testing::HasSubstr;
using test::AsBytes;
using test::LoadFixtureImage;
using test::ReadPreprocessFixture;

struct Difference {
  int max = 0;
  double mean = 0;
};

Difference Compare(const Image& a, const Image& b) {
  Difference d;
  for (size_t i = 0; i < a.rgb.size(); ++i) {
    const int diff = std::abs(int{a.rgb[i]} - int{b.rgb[i]});
    d.max = std::max(d.max, diff);
    d.mean += diff;
  }
  d.mean /= static_cast<double>(a.rgb.size());
  return d;
}

TEST(ImageDecoderTest, MatchesPillowOnEveryFormat) {
  const nlohmann::json reference = test::PreprocessReference();
  ASSERT_GE(reference["decode"].size(), 9u);
  for (const auto& entry : reference["decode"]) {
    const std::string name = entry.get<std::string>();
    SCOPED_TRACE(name);
    const Image ours = LoadFixtureImage(name);
    const Image pillow = LoadFixtureImage(name + ".rgb.png");
    ASSERT_EQ(ours.width, pillow.width);
    ASSERT_EQ(ours.height, pillow.height);
    const Difference d = Compare(ours, pillow);
    if (name.ends_with(".jpg")) {
      // stb_image's IDCT and chroma upsampling are not libjpeg-turbo's (documented gap).
      EXPECT_LE(d.max, 24);
      EXPECT_LE(d.mean, 1.5);
    } else if (name.ends_with("lossy.webp")) {
      EXPECT_LE(d.max, 8);  // libwebp versions differ slightly in YUV->RGB upsampling
      EXPECT_LE(d.mean, 0.5);
    } else {
      EXPECT_EQ(d.max, 0);
    }
  }
}

TEST(ImageDecoderTest, TransparentPixelsBecomeWhiteOpaqueOnesStay) {
  // decode_rgba.png has alpha 5 * x: column 0 transparent, columns 51+ opaque.
  const Image ours = LoadFixtureImage("decode_rgba.png");
  const Image opaque_source = LoadFixtureImage("decode_rgb.bmp");  // the same picture without alpha
  ASSERT_EQ(ours.width, opaque_source.width);
  for (int y = 0; y < ours.height; ++y) {
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(ours.Pixel(0, y)[c], 255);
      EXPECT_EQ(ours.Pixel(55, y)[c], opaque_source.Pixel(55, y)[c]);
    }
  }
}

TEST(ImageDecoderTest, RefusesUnknownEmptyAndCorruptData) {
  const std::string garbage = "this is not an image at all";
  auto result = DecodeImage(AsBytes(garbage), ImageLimits{}, "image_data[2]");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("image_data[2]: not a JPEG, PNG, GIF, WebP or BMP"));

  result = DecodeImage({}, ImageLimits{}, "img");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("empty"));

  for (const char* name : {"decode_q90.jpg", "decode_rgba.png", "decode_lossy.webp", "decode_frame.gif"}) {
    SCOPED_TRACE(name);
    const std::string bytes = ReadPreprocessFixture(name);
    // Truncated to its header plus a little: must be an error, never a crash.
    for (const size_t keep : {size_t{8}, size_t{40}, bytes.size() / 2}) {
      result = DecodeImage(AsBytes(bytes.substr(0, keep)), ImageLimits{}, name);
      if (result.ok()) {  // stb pads truncated JPEG/GIF scans; the image must still be whole
        EXPECT_EQ(result->rgb.size(), result->num_pixels() * 3);
      } else {
        EXPECT_THAT(result.status().message(), HasSubstr(name));
      }
    }
  }
}

TEST(ImageDecoderTest, LimitsAreCheckedBeforeDecoding) {
  const std::string png = ReadPreprocessFixture("decode_rgba.png");  // 61x43
  ImageLimits limits;
  limits.max_pixels = 61 * 43 - 1;
  auto result = DecodeImage(AsBytes(png), limits, "big");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("61x43 = 2623 pixels, over the limit of 2622"));

  limits = ImageLimits{};
  limits.max_side = 60;
  result = DecodeImage(AsBytes(ReadPreprocessFixture("decode_lossy.webp")), limits, "wide");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("over the limit of 60 pixels per side"));

  limits = ImageLimits{};
  limits.max_encoded_bytes = 100;
  result = DecodeImage(AsBytes(png), limits, "heavy");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("over the limit of 100"));
}

TEST(ImageDecoderTest, SniffsFormats) {
  EXPECT_EQ(*SniffImageFormat(AsBytes(ReadPreprocessFixture("decode_q90.jpg")), "x"), ImageFormat::kJpeg);
  EXPECT_EQ(*SniffImageFormat(AsBytes(ReadPreprocessFixture("decode_frame.gif")), "x"), ImageFormat::kGif);
  EXPECT_EQ(*SniffImageFormat(AsBytes(ReadPreprocessFixture("decode_lossless.webp")), "x"), ImageFormat::kWebp);
  EXPECT_EQ(*SniffImageFormat(AsBytes(ReadPreprocessFixture("decode_rgb.bmp")), "x"), ImageFormat::kBmp);
}

}  // namespace
}  // namespace sgl::multimodal
