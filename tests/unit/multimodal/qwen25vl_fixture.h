// The tiny Qwen2.5-VL fixture (tests/fixtures/models/qwen25vl/, made by
// make_qwen25vl_fixture.py): its reference.json, the pixel values transformers' processor
// made for each source image, and the preprocessing config of the model folder.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/safetensors_file.h"
#include "multimodal/image_preprocessor.h"
#include "multimodal/vision_grid.h"
#include "sgl/engine.h"
#include "testing/test_paths.h"
#include "vision_fixtures.h"

namespace sgl::multimodal::test {

inline const std::string kQwen25VlDir = sgl::testing::SourcePath("tests/fixtures/models/qwen25vl/hf");

inline nlohmann::json Qwen25VlReference() {
  return nlohmann::json::parse(
      sgl::testing::ReadFileOrEmpty(sgl::testing::SourcePath("tests/fixtures/models/qwen25vl/reference.json")));
}

// A reference chat as an engine request: its rendered prompt text and its images.
inline GenerateRequest Qwen25VlChatRequest(const nlohmann::json& c) {
  GenerateRequest request;
  request.text = c["prompt_text"].get<std::string>();
  for (const auto& image : c["images"]) request.images.push_back({.source = PreprocessFixturePath(image.get<std::string>())});
  return request;
}

// The grid of image `index` of a case.
inline VisionGrid Qwen25VlGrid(const nlohmann::json& c, size_t index) {
  const auto& g = c["grid_thw"][index];
  return {g[0].get<int>(), g[1].get<int>(), g[2].get<int>()};
}

// transformers' pixel values for a source image, or an empty vector (and a test failure).
inline std::vector<float> Qwen25VlPixelValues(const std::string& image) {
  auto file = SafetensorsFile::Open(sgl::testing::SourcePath("tests/fixtures/models/qwen25vl/pixel_values.safetensors"));
  EXPECT_TRUE(file.ok()) << file.status().message();
  if (!file.ok()) return {};
  const TensorView* view = (*file)->FindTensor(image);
  EXPECT_NE(view, nullptr) << image;
  if (view == nullptr || view->dtype != DType::kF32) return {};
  std::vector<float> values(view->NumElements());
  std::memcpy(values.data(), view->data, values.size() * sizeof(float));
  return values;
}

// The fixture image through our preprocessing with the model folder's
// preprocessor_config.json; fails the test (and returns no patches) if it cannot.
inline PixelPatches Qwen25VlPatches(const std::string& image) {
  auto config = ImagePreprocessConfig::FromJson(
      sgl::testing::ReadFileOrEmpty(kQwen25VlDir + "/preprocessor_config.json"), ResizeRule::kQwen2Vl);
  EXPECT_TRUE(config.ok()) << config.status().message();
  if (!config.ok()) return {};
  auto patches = ImagePreprocessor(*config).Preprocess(LoadFixtureImage(image), image);
  EXPECT_TRUE(patches.ok()) << patches.status().message();
  return patches.ok() ? *patches : PixelPatches{};
}

}  // namespace sgl::multimodal::test
