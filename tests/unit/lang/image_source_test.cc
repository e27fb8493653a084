// ReadImageSource: the bytes of an image named by a path, file:// or data: URL or bare
// base64; http://
// that cannot be reached, https://, empty names and bad base64 are errors, never crashes.
#include "lang/image_source.h"

#include <gtest/gtest.h>

#include "lang/base64.h"
#include "testing/temp_dir.h"

namespace sgl::lang {
namespace {

TEST(LangImageSourceTest, PathsAndFileAndDataUrls) {
  sgl::test::TempDir dir;
  const std::string path = dir.Write("x.png", "png bytes");
  EXPECT_EQ(ReadImageSource(path).bytes, "png bytes");
  EXPECT_EQ(ReadImageSource("file://" + path).bytes, "png bytes");
  node::Image data = ReadImageSource("data:image/png;base64," + Base64Encode("data bytes"));
  EXPECT_EQ(data.error, "");
  EXPECT_EQ(data.bytes, "data bytes");
  EXPECT_EQ(ReadImageSource(Base64Encode("bare bytes")).bytes, "bare bytes");
}

TEST(LangImageSourceTest, BadSourcesAreErrors) {
  sgl::test::TempDir dir;
  const std::string empty_file = dir.Write("empty.png", "");
  for (const std::string& source :
       {std::string(""), dir.PathOf("absent.png"), empty_file, std::string("data:image/png;base64,!!"),
        std::string("data:image/png,raw"), std::string("data:nocomma"), std::string("https://example.com/a.png"),
        std::string("http://127.0.0.1:1/a.png"), std::string("http://")}) {
    node::Image image = ReadImageSource(source);
    EXPECT_FALSE(image.error.empty()) << source;
    EXPECT_TRUE(image.bytes.empty()) << source;
  }
}

}  // namespace
}  // namespace sgl::lang
