// VisionWindows: Qwen2.5-VL's windowed-attention layout of an image's patches
// (transformers.vision_utils.get_vision_window_index). The merged grid of each frame is cut
// into window_side x window_side squares of merged tokens (the last row and column of
// windows may be smaller); the tower runs on the merged tokens reordered window by window,
// each merged token's merge_size^2 patches staying together. Pure function.
#pragma once

#include <cstdint>
#include <vector>

#include "multimodal/vision_grid.h"

namespace sgl::multimodal {

struct VisionWindows {
  // merged_order[j]: the merged token (in the preprocessor's order) that comes j-th in
  // window order; a permutation of [0, num_merged_tokens).
  std::vector<int32_t> merged_order;
  // Patches in each non-empty window, in window order; they add up to num_patches.
  std::vector<int32_t> window_num_patches;

  // The patch (in the preprocessor's order) that comes `index`-th in window order.
  int64_t SourcePatch(int64_t index, int merge_area) const {
    return int64_t{merged_order[index / merge_area]} * merge_area + index % merge_area;
  }
};

// `window_side`: merged tokens per window side (window_size / merge_size / patch_size).
// REQUIRES: grid.h and grid.w are multiples of merge_size; window_side >= 1.
VisionWindows ComputeVisionWindows(const VisionGrid& grid, int merge_size, int window_side);

}  // namespace sgl::multimodal
