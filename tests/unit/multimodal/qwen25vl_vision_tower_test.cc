// Qwen25VlVisionTower on the CPU backend against transformers' Qwen2_5_VLModel.get_image_features
// for the tiny fixture model (windowed and full-attention blocks, grids whose merged sides
// do and do not divide into windows): our preprocessing must give transformers' pixel
// values, and our tower the features the language model receives, within float tolerance.
#include "multimodal/qwen25vl_vision_tower.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "backend/cpu/cpu_backend.h"
#include "qwen25vl_fixture.h"

namespace sgl::multimodal {
namespace {

TEST(Qwen25VlVisionTowerTest, ReadsTheVisionConfig) {
  CpuBackend backend(1);
  auto tower = Qwen25VlVisionTower::Load(test::kQwen25VlDir, backend);
  ASSERT_TRUE(tower.ok()) << tower.status().message();
  const Qwen25VlVisionConfig& c = (*tower)->config();
  EXPECT_EQ(c.depth, 4);
  EXPECT_EQ(c.window_side(), 2);
  EXPECT_EQ(c.fullatt_block_indexes, (std::vector<int>{1, 3}));
  EXPECT_TRUE(c.IsFullAttention(3));
  EXPECT_FALSE(c.IsFullAttention(0));
  EXPECT_EQ(c.out_hidden_size, 64);
}

TEST(Qwen25VlVisionTowerTest, PreprocessingGivesTransformersPixelValues) {
  std::set<std::string> images;
  const nlohmann::json reference = test::Qwen25VlReference();
  for (const auto& c : reference["cases"])
    for (const auto& image : c["images"]) images.insert(image.get<std::string>());
  ASSERT_GE(images.size(), 3u);
  for (const std::string& image : images) {
    SCOPED_TRACE(image);
    const PixelPatches patches = test::Qwen25VlPatches(image);
    const std::vector<float> expected = test::Qwen25VlPixelValues(image);
    ASSERT_FALSE(expected.empty());
    EXPECT_LT(test::MaxAbsDiff(patches.values, expected), 1e-5f);
  }
}

TEST(Qwen25VlVisionTowerTest, MatchesTransformersImageFeatures) {
  CpuBackend backend(2);
  auto tower = Qwen25VlVisionTower::Load(test::kQwen25VlDir, backend);
  ASSERT_TRUE(tower.ok()) << tower.status().message();
  int checked = 0;
  const nlohmann::json reference = test::Qwen25VlReference();
  for (const auto& c : reference["cases"]) {
    for (size_t i = 0; i < c["images"].size(); ++i) {
      SCOPED_TRACE(c["images"][i].get<std::string>());
      const PixelPatches patches = test::Qwen25VlPatches(c["images"][i]);
      ASSERT_EQ(patches.grid_h, test::Qwen25VlGrid(c, i).h);
      ASSERT_EQ(patches.grid_w, test::Qwen25VlGrid(c, i).w);
      auto features = (*tower)->Encode(patches);
      ASSERT_TRUE(features.ok()) << features.status().message();
      const std::vector<float> expected = test::Flatten(c["per_image"][i]["vision_features"]);
      float largest = 0;
      for (float v : expected) largest = std::max(largest, std::abs(v));
      EXPECT_GT(largest, 1e-2f);  // the reference is not degenerate
      EXPECT_LT(test::MaxAbsDiff(*features, expected), 1e-4f) << "largest |feature| " << largest;
      ++checked;
    }
  }
  EXPECT_GE(checked, 4);
}

TEST(Qwen25VlVisionTowerTest, RefusesPatchesOfAnotherShape) {
  CpuBackend backend(1);
  auto tower = Qwen25VlVisionTower::Load(test::kQwen25VlDir, backend);
  ASSERT_TRUE(tower.ok()) << tower.status().message();
  PixelPatches patches;
  patches.grid_h = 3;  // not a multiple of the merge size
  patches.grid_w = 2;
  patches.patch_dim = 1176;
  patches.values.assign(6 * 1176, 0.0f);
  auto features = (*tower)->Encode(patches);
  ASSERT_FALSE(features.ok());
  EXPECT_THAT(features.status().message(), ::testing::HasSubstr("do not fit this tower"));
  patches.grid_h = 2;
  patches.values.resize(5);  // fewer values than the grid needs
  EXPECT_FALSE((*tower)->Encode(patches).ok());
}

TEST(Qwen25VlVisionTowerTest, RefusesBadVisionConfigs) {
  const nlohmann::json base = nlohmann::json::parse(sgl::testing::ReadFileOrEmpty(test::kQwen25VlDir + "/config.json"));
  ASSERT_TRUE(Qwen25VlVisionConfig::FromJson(base).ok());
  auto with = [&](const char* key, const nlohmann::json& value) {
    nlohmann::json config = base;
    config["vision_config"][key] = value;
    return Qwen25VlVisionConfig::FromJson(config).status();
  };
  EXPECT_THAT(with("fullatt_block_indexes", {0, 4}).message(), ::testing::HasSubstr("not a block of 4"));
  EXPECT_THAT(with("window_size", 14).message(), ::testing::HasSubstr("window_size"));
  EXPECT_THAT(with("hidden_act", "relu").message(), ::testing::HasSubstr("relu"));
  EXPECT_THAT(with("num_heads", 3).message(), ::testing::HasSubstr("heads"));
  EXPECT_FALSE(Qwen25VlVisionConfig::FromJson(nlohmann::json::object()).ok());
}

TEST(Qwen25VlVisionTowerTest, RefusesFoldersWithoutAVisionTower) {
  CpuBackend backend(1);
  auto tower = Qwen25VlVisionTower::Load(sgl::testing::SourcePath("tests/fixtures/models/llama/hf"), backend);
  ASSERT_FALSE(tower.ok());
  EXPECT_THAT(tower.status().message(), ::testing::HasSubstr("vision_config"));
  // GLM-4.1V's folder has a vision_config but not this tower's tensors.
  auto glm = Qwen25VlVisionTower::Load(sgl::testing::SourcePath("tests/fixtures/models/glm4v/hf"), backend);
  EXPECT_FALSE(glm.ok());
}

}  // namespace
}  // namespace sgl::multimodal
