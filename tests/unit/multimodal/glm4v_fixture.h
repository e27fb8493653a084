// The tiny GLM-4.1V fixture (tests/fixtures/models/glm4v/, made by make_glm4v_fixture.py):
// its reference.json and float32 tensors from its safetensors file.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/forward_batch.h"
#include "format/safetensors_file.h"
#include "multimodal/image_preprocessor.h"
#include "multimodal/mrope_positions.h"
#include "multimodal/vision_grid.h"
#include "testing/test_paths.h"
#include "vision_fixtures.h"

namespace sgl::multimodal::test {

inline nlohmann::json Glm4vReference() {
  return nlohmann::json::parse(
      sgl::testing::ReadFileOrEmpty(sgl::testing::SourcePath("tests/fixtures/models/glm4v/reference.json")));
}

inline VisionGrid GridOf(const nlohmann::json& c) {
  return {c["grid_thw"][0].get<int>(), c["grid_thw"][1].get<int>(), c["grid_thw"][2].get<int>()};
}

// A reference case's image through GLM-4.1V's preprocessing at the case's pixel bounds.
inline Result<PixelPatches> PreprocessCase(const nlohmann::json& c) {
  ImagePreprocessConfig config = ImagePreprocessConfig::Glm4v();
  config.min_pixels = c["min_pixels"];
  config.max_pixels = c["max_pixels"];
  return ImagePreprocessor(config).Preprocess(LoadFixtureImage(c["image"]), "img");
}

// One prefill of a reference case's prompt at slots [0, n), logits at every position, with
// the image's `features` at its placeholders and the prompt's 3-D M-RoPE positions.
inline Result<ForwardBatch> ImagePrefillBatch(const nlohmann::json& c, int32_t image_token_id,
                                              std::vector<float> features) {
  const std::vector<int32_t> ids = c["input_ids"].get<std::vector<int32_t>>();
  const VisionGrid grids[] = {GridOf(c)};
  SGL_ASSIGN_OR_RETURN(MropePositions positions, ComputeMropePositions(ids, image_token_id, grids, 2));
  ForwardBatch batch;
  std::vector<int32_t> slots(ids.size());
  for (size_t i = 0; i < slots.size(); ++i) slots[i] = static_cast<int32_t>(i);
  batch.AddSequence(ids, slots, false);
  batch.logit_rows = slots;
  batch.axis_positions.assign(positions.axes.begin(), positions.axes.end());
  const auto first_image = std::find(ids.begin(), ids.end(), image_token_id) - ids.begin();
  batch.input_embeds.push_back({static_cast<int32_t>(first_image), grids[0].num_merged_tokens(2), 0,
                                std::make_shared<const std::vector<float>>(std::move(features))});
  return batch;
}

// The float32 tensor `name`, or an empty vector (and a test failure).
inline std::vector<float> Glm4vTensor(const std::string& name) {
  auto file = SafetensorsFile::Open(sgl::testing::SourcePath("tests/fixtures/models/glm4v/hf/model.safetensors"));
  EXPECT_TRUE(file.ok()) << file.status().message();
  if (!file.ok()) return {};
  const TensorView* view = (*file)->FindTensor(name);
  EXPECT_NE(view, nullptr) << name;
  if (view == nullptr || view->dtype != DType::kF32) return {};
  std::vector<float> values(view->NumElements());
  std::memcpy(values.data(), view->data, values.size() * sizeof(float));
  return values;
}

}  // namespace sgl::multimodal::test
