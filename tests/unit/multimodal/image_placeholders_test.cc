// ExpandImagePlaceholders: each placeholder becomes its image's token count, ranges point
// at them, and a count mismatch is an error naming both numbers. ImagePadId: past the
// vocabulary, the same for the same hash, different for different hashes.
#include "multimodal/image_placeholders.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sgl::multimodal {
namespace {

constexpr int32_t kImage = 9;

TEST(ImagePlaceholdersTest, EachPlaceholderBecomesItsImagesTokens) {
  const std::vector<int32_t> ids = {1, 8, kImage, 7, 8, kImage, 7, 2};
  const int counts[] = {3, 2};
  auto out = ExpandImagePlaceholders(ids, kImage, counts);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->input_ids, (std::vector<int32_t>{1, 8, kImage, kImage, kImage, 7, 8, kImage, kImage, 7, 2}));
  ASSERT_EQ(out->images.size(), 2u);
  EXPECT_EQ(out->images[0].begin, 2);
  EXPECT_EQ(out->images[0].num_tokens, 3);
  EXPECT_EQ(out->images[1].begin, 7);
  EXPECT_EQ(out->images[1].num_tokens, 2);
}

TEST(ImagePlaceholdersTest, CountsMustAgree) {
  const std::vector<int32_t> ids = {1, kImage, 2};
  const int two[] = {4, 4};
  auto out = ExpandImagePlaceholders(ids, kImage, two);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), ::testing::HasSubstr("1 image placeholder(s)"));
  EXPECT_THAT(out.status().message(), ::testing::HasSubstr("2 image(s)"));
  EXPECT_FALSE(ExpandImagePlaceholders(ids, kImage, {}).ok());
  const int none[] = {0};
  EXPECT_FALSE(ExpandImagePlaceholders(ids, kImage, none).ok());
}

TEST(ImagePlaceholdersTest, PadIdsLiePastTheVocabularyAndFollowTheHash) {
  const ImageHash a{1, 2}, b{1, 3};
  for (int64_t vocab : {512, 151552}) {
    EXPECT_GE(ImagePadId(a, vocab), vocab);
    EXPECT_LT(ImagePadId(a, vocab), vocab + (int64_t{1} << 30));
    EXPECT_EQ(ImagePadId(a, vocab), ImagePadId(ImageHash{1, 2}, vocab));
    EXPECT_NE(ImagePadId(a, vocab), ImagePadId(b, vocab));
  }
}

}  // namespace
}  // namespace sgl::multimodal
