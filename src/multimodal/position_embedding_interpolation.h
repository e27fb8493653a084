// InterpolatePositionEmbedding: GLM-4.1V's vision position embeddings for any patch grid.
// The learned table is a side x side grid of vectors; each patch samples it at its
// (row, col) scaled to the table, as torch.nn.functional.grid_sample(mode="bicubic",
// align_corners=False, padding_mode="border") does (cubic convolution with A = -0.75,
// taps outside the table clamped to its edge). Pure function.
#pragma once

#include <span>
#include <vector>

#include "multimodal/vision_grid.h"

namespace sgl::multimodal {

// `table`: side * side rows of `dim` floats, row-major over (table row, table column).
// Returns one row of `dim` floats per entry of `positions`, for a patch grid of
// `grid_h` x `grid_w`. REQUIRES: table.size() == side * side * dim, side >= 1.
std::vector<float> InterpolatePositionEmbedding(std::span<const float> table, int side, int dim,
                                                std::span<const PatchPosition> positions, int grid_h, int grid_w);

}  // namespace sgl::multimodal
