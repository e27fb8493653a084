#include "multimodal/vision_grid.h"

namespace sgl::multimodal {

std::vector<PatchPosition> VisionPatchPositions(const VisionGrid& grid, int merge_size) {
  std::vector<PatchPosition> positions;
  positions.reserve(grid.num_patches());
  for (int frame = 0; frame < grid.t; ++frame) {
    for (int block_row = 0; block_row < grid.h / merge_size; ++block_row) {
      for (int block_col = 0; block_col < grid.w / merge_size; ++block_col) {
        for (int r = 0; r < merge_size; ++r) {
          for (int c = 0; c < merge_size; ++c) {
            positions.push_back({block_row * merge_size + r, block_col * merge_size + c});
          }
        }
      }
    }
  }
  return positions;
}

}  // namespace sgl::multimodal
