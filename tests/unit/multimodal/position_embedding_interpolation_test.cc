// InterpolatePositionEmbedding against the embedding GLM-4.1V's vision tower adds per patch
// (torch grid_sample bicubic), captured from the fixture model.
#include "multimodal/position_embedding_interpolation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "glm4v_fixture.h"

namespace sgl::multimodal {
namespace {

TEST(PositionEmbeddingInterpolationTest, MatchesTorchGridSampleBicubic) {
  const std::vector<float> table = test::Glm4vTensor("model.visual.embeddings.position_embedding.weight");
  constexpr int kSide = 4, kDim = 32;
  ASSERT_EQ(table.size(), size_t{kSide * kSide * kDim});
  const nlohmann::json reference = test::Glm4vReference();
  for (const auto& c : reference["cases"]) {
    const VisionGrid grid = test::GridOf(c);
    const std::vector<PatchPosition> positions = VisionPatchPositions(grid, 2);
    const std::vector<float> ours = InterpolatePositionEmbedding(table, kSide, kDim, positions, grid.h, grid.w);
    ASSERT_EQ(ours.size(), c["pos_embed"].size() * kDim);
    float max_error = 0;
    for (size_t p = 0; p < positions.size(); ++p) {
      for (int d = 0; d < kDim; ++d) {
        max_error = std::max(max_error, std::abs(ours[p * kDim + d] - c["pos_embed"][p][d].get<float>()));
      }
    }
    EXPECT_LT(max_error, 1e-6f) << c["image"];
  }
}

TEST(PositionEmbeddingInterpolationTest, SameSizeGridReproducesTheTable) {
  // Sampling a 4 x 4 table at the centres of a 4 x 4 grid hits the cells exactly.
  std::vector<float> table(16);
  for (int i = 0; i < 16; ++i) table[i] = static_cast<float>(i * i);
  std::vector<PatchPosition> positions;
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) positions.push_back({r, c});
  }
  const std::vector<float> out = InterpolatePositionEmbedding(table, 4, 1, positions, 4, 4);
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(out[i], table[i], 1e-4f) << i;
}

}  // namespace
}  // namespace sgl::multimodal
