// Access to tests/fixtures/vision/preprocess/ (made by make_preprocess_fixtures.py):
// the reference JSON and images decoded with DecodeImage; and to
// tests/fixtures/vision/resize/pillow_bicubic.json (made by make_resize_fixtures.py).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "multimodal/image.h"
#include "multimodal/image_decoder.h"
#include "testing/test_paths.h"

namespace sgl::multimodal::test {

inline std::string PreprocessFixturePath(const std::string& name) {
  return sgl::testing::SourcePath("tests/fixtures/vision/preprocess/" + name);
}

inline std::string ReadPreprocessFixture(const std::string& name) {
  return sgl::testing::ReadFileOrEmpty(PreprocessFixturePath(name));
}

inline nlohmann::json PreprocessReference() {
  return nlohmann::json::parse(ReadPreprocessFixture("preprocess.json"));
}

inline nlohmann::json PillowBicubicReference() {
  return nlohmann::json::parse(
      sgl::testing::ReadFileOrEmpty(sgl::testing::SourcePath("tests/fixtures/vision/resize/pillow_bicubic.json")));
}

inline std::span<const uint8_t> AsBytes(const std::string& bytes) {
  return {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
}

// Decodes a fixture image; fails the test (and returns an empty image) if it cannot.
inline Image LoadFixtureImage(const std::string& name) {
  const std::string bytes = ReadPreprocessFixture(name);
  auto image = DecodeImage(AsBytes(bytes), ImageLimits{}, name);
  EXPECT_TRUE(image.ok()) << image.status().message();
  return image.ok() ? *image : Image{};
}

// The largest |a[i] - b[i]| (infinity when the sizes differ).
inline float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  float worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

// A JSON matrix (list of rows) flattened row-major.
inline std::vector<float> Flatten(const nlohmann::json& rows) {
  std::vector<float> out;
  for (const auto& row : rows)
    for (const auto& v : row) out.push_back(v.get<float>());
  return out;
}

}  // namespace sgl::multimodal::test
