// LoadImageBytes: data URLs, bare base64, file paths, and each refusal naming the input.
#include "multimodal/image_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace sgl::multimodal {
namespace {

using ::testing::HasSubstr;

const std::string kPngMagicBase64 = "iVBORw0KGgo=";  // "\x89PNG\r\n\x1a\n"
const std::string kPngMagic = "\x89PNG\r\n\x1a\n";

TEST(ImageSourceTest, DecodesDataUrlsAndBareBase64) {
  auto bytes = LoadImageBytes("data:image/png;base64," + kPngMagicBase64, {}, "x");
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  EXPECT_EQ(*bytes, kPngMagic);
  bytes = LoadImageBytes(kPngMagicBase64, {}, "x");
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  EXPECT_EQ(*bytes, kPngMagic);
}

TEST(ImageSourceTest, ReadsFiles) {
  sgl::test::TempDir dir;
  const std::string path = dir.Write("cat.png", kPngMagic);
  for (const std::string& reference : {path, "file://" + path}) {
    auto bytes = LoadImageBytes(reference, {}, "x");
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    EXPECT_EQ(*bytes, kPngMagic);
  }
  ImageSourceOptions no_files;
  no_files.allow_local_files = false;
  auto refused = LoadImageBytes(path, no_files, "image_data[0]");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("local image files are not allowed"));
  EXPECT_THAT(refused.status().message(), HasSubstr("--disable-local-image-files"));
  // Refused alike whether or not the file exists (nothing is probed); base64 still reads.
  auto missing = LoadImageBytes(dir.path() + "/missing.png", no_files, "image_data[0]");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), refused.status().message());
  auto inline_bytes = LoadImageBytes(kPngMagicBase64, no_files, "x");
  ASSERT_TRUE(inline_bytes.ok()) << inline_bytes.status().message();
  EXPECT_EQ(*inline_bytes, kPngMagic);
  ImageSourceOptions small;
  small.max_encoded_bytes = 4;
  refused = LoadImageBytes(path, small, "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("over the limit of 4"));
}

TEST(ImageSourceTest, RefusesWithTheReferenceNamed) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "empty image reference"},
      {"data:image/png," + kPngMagicBase64, "must be base64-encoded"},
      {"data:image/png;base64", "no ','"},
      {"data:image/png;base64,@@@", "invalid base64"},
      {"https://example.com/cat.png", "remote image URLs are not fetched"},
      {"/no/such/dir/cat.png", "not a data: URL, an existing file or base64"},
      {"file:///no/such/cat.png", "cannot read image file"},
  };
  for (const auto& [reference, message] : cases) {
    auto bytes = LoadImageBytes(reference, {}, "messages[0].content[1]");
    ASSERT_FALSE(bytes.ok()) << reference;
    EXPECT_THAT(bytes.status().message(), HasSubstr("messages[0].content[1]: "));
    EXPECT_THAT(bytes.status().message(), HasSubstr(message));
  }
  ImageSourceOptions small;
  small.max_encoded_bytes = 3;
  auto bytes = LoadImageBytes(std::string(400, 'A'), small, "x");
  ASSERT_FALSE(bytes.ok());
  EXPECT_THAT(bytes.status().message(), HasSubstr("over the limit of 3 bytes"));
}

}  // namespace
}  // namespace sgl::multimodal
