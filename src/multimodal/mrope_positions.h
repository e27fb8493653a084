// MropePositions: the 3-D (temporal, height, width) rotary positions the language models
// of GLM-4.1V and Qwen2.5-VL give a prompt with still images (transformers 5.x's
// Glm4vModel.get_rope_index and Qwen2_5_VLModel.get_rope_index agree on images): text
// tokens count up on all three axes; an image's merged tokens get t = start and
// h/w = start + their row/column in the merged grid; the next token starts at
// start + max(merged rows, merged columns). Decode positions continue from `next_position`.
// Pure function.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "multimodal/vision_grid.h"

namespace sgl::multimodal {

struct MropePositions {
  std::array<std::vector<int32_t>, 3> axes;  // [t, h, w], each one entry per prompt token
  int32_t next_position = 0;                 // the position of the token after the prompt

  // next_position - prompt length: what transformers calls rope_deltas.
  int32_t rope_delta() const { return next_position - static_cast<int32_t>(axes[0].size()); }
};

// `grids`: one per run of `image_token_id` in `input_ids`, in order. Errors when the runs
// and grids disagree (count, or a run's length vs the grid's merged tokens).
Result<MropePositions> ComputeMropePositions(std::span<const int32_t> input_ids, int32_t image_token_id,
                                             std::span<const VisionGrid> grids, int merge_size);

}  // namespace sgl::multimodal
