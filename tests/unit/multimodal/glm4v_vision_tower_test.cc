// Glm4vVisionTower on the CPU backend against transformers' Glm4vModel.get_image_features
// for the tiny fixture model: the same image through our preprocessing and tower must give
// the features the language model receives, within float tolerance.
#include "multimodal/glm4v_vision_tower.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "glm4v_fixture.h"
#include "vision_fixtures.h"

namespace sgl::multimodal {
namespace {

const std::string kFixtureDir = sgl::testing::SourcePath("tests/fixtures/models/glm4v/hf");

TEST(Glm4vVisionTowerTest, MatchesTransformersImageFeatures) {
  CpuBackend backend(2);
  auto tower = Glm4vVisionTower::Load(kFixtureDir, backend);
  ASSERT_TRUE(tower.ok()) << tower.status().message();
  EXPECT_EQ((*tower)->config().depth, 2);
  const nlohmann::json reference = test::Glm4vReference();
  ASSERT_GE(reference["cases"].size(), 2u);
  for (const auto& c : reference["cases"]) {
    SCOPED_TRACE(c["image"].get<std::string>());
    auto patches = test::PreprocessCase(c);
    ASSERT_TRUE(patches.ok()) << patches.status().message();
    ASSERT_EQ(patches->grid_h, c["grid_thw"][1].get<int>());
    auto features = (*tower)->Encode(*patches);
    ASSERT_TRUE(features.ok()) << features.status().message();
    const auto& expected = c["vision_features"];
    const size_t width = expected[0].size();
    ASSERT_EQ(features->size(), expected.size() * width);
    float max_error = 0, max_value = 0;
    for (size_t r = 0; r < expected.size(); ++r) {
      for (size_t i = 0; i < width; ++i) {
        const float want = expected[r][i].get<float>();
        max_error = std::max(max_error, std::abs((*features)[r * width + i] - want));
        max_value = std::max(max_value, std::abs(want));
      }
    }
    EXPECT_GT(max_value, 1e-3f);  // the reference is not degenerate
    EXPECT_LT(max_error, 1e-4f) << "largest |feature| " << max_value;
  }
}

TEST(Glm4vVisionTowerTest, RefusesPatchesOfAnotherShape) {
  CpuBackend backend(1);
  auto tower = Glm4vVisionTower::Load(kFixtureDir, backend);
  ASSERT_TRUE(tower.ok()) << tower.status().message();
  PixelPatches patches;
  patches.grid_h = 3;  // not a multiple of the merge size
  patches.grid_w = 2;
  patches.patch_dim = 1176;
  patches.values.assign(6 * 1176, 0.0f);
  auto features = (*tower)->Encode(patches);
  ASSERT_FALSE(features.ok());
  EXPECT_THAT(features.status().message(), ::testing::HasSubstr("do not fit this tower"));
}

TEST(Glm4vVisionTowerTest, RefusesFoldersWithoutAVisionConfig) {
  CpuBackend backend(1);
  auto tower = Glm4vVisionTower::Load(sgl::testing::SourcePath("tests/fixtures/models/llama/hf"), backend);
  ASSERT_FALSE(tower.ok());
  EXPECT_THAT(tower.status().message(), ::testing::HasSubstr("vision_config"));
}

}  // namespace
}  // namespace sgl::multimodal
