#include "multimodal/mrope_positions.h"

#include <algorithm>

namespace sgl::multimodal {
namespace {

void AppendImage(const VisionGrid& grid, int merge_size, MropePositions& out) {
  const int rows = grid.h / merge_size, cols = grid.w / merge_size;
  const int32_t start = out.next_position;
  for (int frame = 0; frame < grid.t; ++frame) {
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        out.axes[0].push_back(start + frame);
        out.axes[1].push_back(start + r);
        out.axes[2].push_back(start + c);
      }
    }
  }
  out.next_position = start + std::max(rows, cols);
}

}  // namespace

Result<MropePositions> ComputeMropePositions(std::span<const int32_t> input_ids, int32_t image_token_id,
                                             std::span<const VisionGrid> grids, int merge_size) {
  MropePositions out;
  for (auto& axis : out.axes) axis.reserve(input_ids.size());
  size_t num_images = 0;
  for (size_t i = 0; i < input_ids.size();) {
    if (input_ids[i] != image_token_id) {
      for (auto& axis : out.axes) axis.push_back(out.next_position);
      ++out.next_position;
      ++i;
      continue;
    }
    size_t run_end = i;
    while (run_end < input_ids.size() && input_ids[run_end] == image_token_id) ++run_end;
    if (num_images == grids.size()) {
      return InvalidArgument("prompt has more image placeholder runs than the {} image(s) given", grids.size());
    }
    const VisionGrid& grid = grids[num_images++];
    if (static_cast<size_t>(grid.num_merged_tokens(merge_size)) != run_end - i) {
      return InvalidArgument("image {} needs {} placeholder tokens but the prompt has {}", num_images - 1,
                             grid.num_merged_tokens(merge_size), run_end - i);
    }
    AppendImage(grid, merge_size, out);
    i = run_end;
  }
  if (num_images != grids.size()) {
    return InvalidArgument("{} image(s) given but the prompt has {} placeholder run(s)", grids.size(), num_images);
  }
  return out;
}

}  // namespace sgl::multimodal
