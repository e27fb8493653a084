// Glm4vVisionTower on the CPU backend against transformers' Glm4vModel.get_image_features
// for the tiny fixture model: the same image through our preprocessing and tower must give
// the features the language model receives, within float tolerance.
#include "multimodal/glm4v_vision_tower.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "backend/cpu/cpu_backend.h"
#include "base/float16.h"
#include "glm4v_fixture.h"
#include "testing/temp_dir.h"
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
    const std::vector<float> expected = test::Flatten(c["vision_features"]);
    const float largest = test::MaxAbsDiff(expected, std::vector<float>(expected.size(), 0.0f));
    EXPECT_GT(largest, 1e-3f);  // the reference is not degenerate
    EXPECT_LT(test::MaxAbsDiff(*features, expected), 1e-4f) << "largest |feature| " << largest;
  }
}

// The fixture folder with every F32 tensor stored as BF16, as real checkpoints are.
void WriteBf16Copy(const sgl::test::TempDir& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(kFixtureDir))
    if (entry.path().filename() != "model.safetensors")
      std::filesystem::copy_file(entry.path(), dir.PathOf(entry.path().filename().string()));
  std::ifstream in(kFixtureDir + "/model.safetensors", std::ios::binary);
  const std::vector<char> file{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  uint64_t header_size = 0;
  std::memcpy(&header_size, file.data(), 8);
  nlohmann::json header = nlohmann::json::parse(file.begin() + 8, file.begin() + 8 + header_size);
  const char* data = file.data() + 8 + header_size;
  std::string out_data;
  for (auto& [name, t] : header.items()) {
    if (name == "__metadata__") continue;
    const size_t begin = t["data_offsets"][0], end = t["data_offsets"][1];
    const size_t offset = out_data.size();
    if (t["dtype"] == "F32") {
      for (size_t i = begin; i < end; i += 4) {
        float v;
        std::memcpy(&v, data + i, 4);
        const uint16_t b = F32ToBf16(v);
        out_data.append(reinterpret_cast<const char*>(&b), 2);
      }
      t["dtype"] = "BF16";
    } else {
      out_data.append(data + begin, end - begin);
    }
    t["data_offsets"] = {offset, out_data.size()};
  }
  const std::string text = header.dump();
  std::string bytes(8, '\0');
  const uint64_t size = text.size();
  std::memcpy(bytes.data(), &size, 8);
  dir.Write("model.safetensors", bytes + text + out_data);
}

TEST(Glm4vVisionTowerTest, LoadsABf16CheckpointWithinBf16Tolerance) {
  sgl::test::TempDir dir;
  WriteBf16Copy(dir);
  CpuBackend backend(2);
  auto tower = Glm4vVisionTower::Load(dir.path(), backend);
  ASSERT_TRUE(tower.ok()) << tower.status().message();
  const nlohmann::json c = test::Glm4vReference()["cases"][0];
  auto patches = test::PreprocessCase(c);
  ASSERT_TRUE(patches.ok()) << patches.status().message();
  auto features = (*tower)->Encode(*patches);
  ASSERT_TRUE(features.ok()) << features.status().message();
  const std::vector<float> expected = test::Flatten(c["vision_features"]);
  const float largest = test::MaxAbsDiff(expected, std::vector<float>(expected.size(), 0.0f));
  EXPECT_LT(test::MaxAbsDiff(*features, expected), 3e-2f * largest);
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
