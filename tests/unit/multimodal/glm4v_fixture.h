// The tiny GLM-4.1V fixture (tests/fixtures/models/glm4v/, made by make_glm4v_fixture.py):
// its reference.json and float32 tensors from its safetensors file.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/safetensors_file.h"
#include "multimodal/vision_grid.h"
#include "testing/test_paths.h"

namespace sgl::multimodal::test {

inline nlohmann::json Glm4vReference() {
  return nlohmann::json::parse(
      sgl::testing::ReadFileOrEmpty(sgl::testing::SourcePath("tests/fixtures/models/glm4v/reference.json")));
}

inline VisionGrid GridOf(const nlohmann::json& c) {
  return {c["grid_thw"][0].get<int>(), c["grid_thw"][1].get<int>(), c["grid_thw"][2].get<int>()};
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
