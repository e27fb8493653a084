// VisionGrid and VisionPatchPositions: an image's patch grid (transformers' grid_thw) and
// the (row, column) of each patch in the order the preprocessor emits them, block-major
// over merge_size x merge_size blocks (transformers.vision_utils.get_vision_position_ids).
// The vision towers' 2-D rotary embeddings and GLM-4.1V's interpolated position
// embeddings are indexed by these. Pure functions.
#pragma once

#include <cstdint>
#include <vector>

namespace sgl::multimodal {

struct VisionGrid {
  int t = 1;
  int h = 0;  // patches per column
  int w = 0;  // patches per row

  int num_patches() const { return t * h * w; }
  // Tokens the language model sees once merge_size x merge_size patches become one.
  int num_merged_tokens(int merge_size) const { return num_patches() / (merge_size * merge_size); }
};

struct PatchPosition {
  int row = 0;
  int col = 0;
};

// REQUIRES: grid.h and grid.w are multiples of merge_size. Frames repeat the same positions.
std::vector<PatchPosition> VisionPatchPositions(const VisionGrid& grid, int merge_size);

}  // namespace sgl::multimodal
