// Follows ATen's grid_sampler_2d bicubic path: unnormalize (align_corners=False), the
// 4 x 4 taps around floor(coordinate), each tap index clamped for border padding, then a
// cubic interpolation along x for each of the 4 rows and once more along y.
#include "multimodal/position_embedding_interpolation.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace sgl::multimodal {
namespace {

constexpr float kA = -0.75f;

float Cubic1(float x) { return ((kA + 2) * x - (kA + 3)) * x * x + 1; }              // |x| <= 1
float Cubic2(float x) { return ((kA * x - 5 * kA) * x + 8 * kA) * x - 4 * kA; }  // 1 < |x| < 2

std::array<float, 4> CubicCoefficients(float t) {
  return {Cubic2(t + 1.0f), Cubic1(t), Cubic1(1.0f - t), Cubic2(2.0f - t)};
}

// grid_sample's coordinate for a patch centre: ((i + 0.5) / n * 2 - 1) unnormalized to a
// table of `side` cells with align_corners=False.
float SourceCoordinate(int index, int grid_size, int side) {
  const float normalized = ((static_cast<float>(index) + 0.5f) / static_cast<float>(grid_size)) * 2 - 1;
  return ((normalized + 1) * static_cast<float>(side) - 1) / 2;
}

}  // namespace

std::vector<float> InterpolatePositionEmbedding(std::span<const float> table, int side, int dim,
                                                std::span<const PatchPosition> positions, int grid_h, int grid_w) {
  std::vector<float> out(positions.size() * dim, 0.0f);
  for (size_t p = 0; p < positions.size(); ++p) {
    const float x = SourceCoordinate(positions[p].col, grid_w, side);
    const float y = SourceCoordinate(positions[p].row, grid_h, side);
    const float x0 = std::floor(x), y0 = std::floor(y);
    const std::array<float, 4> cx = CubicCoefficients(x - x0), cy = CubicCoefficients(y - y0);
    float* dst = &out[p * dim];
    for (int j = 0; j < 4; ++j) {
      const int row = std::clamp(static_cast<int>(y0) - 1 + j, 0, side - 1);
      for (int i = 0; i < 4; ++i) {
        const int col = std::clamp(static_cast<int>(x0) - 1 + i, 0, side - 1);
        const float weight = cy[j] * cx[i];
        const float* src = &table[(static_cast<size_t>(row) * side + col) * dim];
        for (int d = 0; d < dim; ++d) dst[d] += weight * src[d];
      }
    }
  }
  return out;
}

}  // namespace sgl::multimodal
