// ImagePreprocessor against transformers' Glm4vImageProcessorPil / Qwen2VLImageProcessorPil:
// grid_thw and pixel_values shape exactly; values (sampled, plus sums over all of them)
// within float tolerance. Also preprocessor_config.json parsing.
#include "multimodal/image_preprocessor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "vision_fixtures.h"

namespace sgl::multimodal {
namespace {

ImagePreprocessConfig ConfigOf(const nlohmann::json& c) {
  ImagePreprocessConfig config =
      c["processor"] == "glm4v" ? ImagePreprocessConfig::Glm4v() : ImagePreprocessConfig::Qwen2Vl();
  config.min_pixels = c["min_pixels"];
  config.max_pixels = c["max_pixels"];
  return config;
}

TEST(ImagePreprocessorTest, MatchesTransformersProcessors) {
  const nlohmann::json reference = test::PreprocessReference();
  ASSERT_GE(reference["cases"].size(), 10u);
  for (const auto& c : reference["cases"]) {
    SCOPED_TRACE(c["source"].get<std::string>() + " " + c["processor"].get<std::string>());
    const ImagePreprocessor preprocessor(ConfigOf(c));
    auto patches = preprocessor.Preprocess(test::LoadFixtureImage(c["source"]), "img");
    ASSERT_TRUE(patches.ok()) << patches.status().message();
    EXPECT_EQ(patches->grid_t, c["grid_thw"][0].get<int>());
    EXPECT_EQ(patches->grid_h, c["grid_thw"][1].get<int>());
    EXPECT_EQ(patches->grid_w, c["grid_thw"][2].get<int>());
    EXPECT_EQ(patches->num_patches(), c["pixel_values_shape"][0].get<int>());
    EXPECT_EQ(patches->patch_dim, c["pixel_values_shape"][1].get<int>());
    ASSERT_EQ(patches->values.size(), size_t(patches->num_patches()) * patches->patch_dim);
    EXPECT_EQ(preprocessor.NumImageTokens(*patches), patches->num_patches() / 4);
    for (const auto& sample : c["samples"]) {
      EXPECT_NEAR(patches->values[sample[0].get<size_t>()], sample[1].get<double>(), 1e-6) << sample[0];
    }
    double sum = 0, sum_squares = 0;
    for (const float v : patches->values) {
      sum += v;
      sum_squares += double{v} * v;
    }
    EXPECT_NEAR(sum, c["sum"].get<double>(), 1e-6 * patches->values.size());
    EXPECT_NEAR(sum_squares, c["sum_squares"].get<double>(), 1e-6 * patches->values.size());
  }
}

TEST(ImagePreprocessorTest, ReadsPreprocessorConfigJson) {
  // GLM-4.1V-9B-Thinking's and Qwen2.5-VL-7B-Instruct's files, trimmed to the fields used.
  auto glm = ImagePreprocessConfig::FromJson(
      R"({"size": {"shortest_edge": 12544, "longest_edge": 9633792}, "patch_size": 14,
          "temporal_patch_size": 2, "merge_size": 2, "image_mean": [0.1, 0.2, 0.3],
          "image_std": [0.5, 0.5, 0.5], "image_processor_type": "Glm4vImageProcessor"})",
      ResizeRule::kGlm4v);
  ASSERT_TRUE(glm.ok()) << glm.status().message();
  EXPECT_EQ(glm->min_pixels, 12544);
  EXPECT_EQ(glm->max_pixels, 9633792);
  EXPECT_FLOAT_EQ(glm->mean[2], 0.3f);
  EXPECT_EQ(glm->rule, ResizeRule::kGlm4v);
  auto qwen = ImagePreprocessConfig::FromJson(R"({"min_pixels": 3136, "max_pixels": 12845056, "merge_size": 2})",
                                              ResizeRule::kQwen2Vl);
  ASSERT_TRUE(qwen.ok()) << qwen.status().message();
  EXPECT_EQ(qwen->max_pixels, 12845056);
}

TEST(ImagePreprocessorTest, RefusesBadConfigs) {
  for (const char* bad : {R"({"patch_size": 0})", R"({"image_mean": [1, 2]})", R"({"min_pixels": 10, "max_pixels": 5})",
                          R"({"merge_size": "2"})", "[1]", "{"}) {
    auto config = ImagePreprocessConfig::FromJson(bad, ResizeRule::kQwen2Vl);
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_THAT(config.status().message(), ::testing::HasSubstr("preprocessor_config.json"));
  }
}

TEST(ImagePreprocessorTest, RefusesExtremeAspectRatios) {
  Image strip;
  strip.width = 1000;
  strip.height = 4;
  strip.rgb.assign(strip.num_pixels() * 3, 7);
  auto patches = ImagePreprocessor(ImagePreprocessConfig::Qwen2Vl()).Preprocess(strip, "image_data[0]");
  ASSERT_FALSE(patches.ok());
  EXPECT_THAT(patches.status().message(), ::testing::HasSubstr("image_data[0]: image aspect ratio 250.0"));
}

}  // namespace
}  // namespace sgl::multimodal
