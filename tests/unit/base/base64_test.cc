// DecodeBase64 against Python's base64 on known vectors, and its refusals.
#include "base/base64.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sgl {
namespace {

using ::testing::HasSubstr;

TEST(Base64Test, DecodesRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"Zg==", "f"}, {"Zm8=", "fo"}, {"Zm9v", "foo"}, {"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"},
      {"Zm9vYmFy", "foobar"}, {"Zm9vYg", "foob"} /* padding optional */, {"Zm9v\nYmFy\r\n", "foobar"},
      {"/+8=", "\xff\xef"}};
  for (const auto& [encoded, decoded] : vectors) {
    auto result = DecodeBase64(encoded, "x");
    ASSERT_TRUE(result.ok()) << encoded << ": " << result.status().message();
    EXPECT_EQ(*result, decoded) << encoded;
  }
}

TEST(Base64Test, RefusesMalformedInput) {
  for (const char* bad : {"Zm9v!", "Zg==Zg==", "Z", "Zm9vY", "Zg==="}) {
    auto result = DecodeBase64(bad, "image_data[0]");
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_THAT(result.status().message(), HasSubstr("image_data[0]"));
  }
}

TEST(Base64Test, LooksLikeBase64) {
  EXPECT_TRUE(LooksLikeBase64("iVBORw0KGgo="));
  EXPECT_FALSE(LooksLikeBase64("/tmp/cat.png"));  // '.' is not in the alphabet
  EXPECT_FALSE(LooksLikeBase64("  "));
  EXPECT_FALSE(LooksLikeBase64("ab=c"));
}

}  // namespace
}  // namespace sgl
