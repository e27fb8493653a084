#include "multimodal/vision_windows.h"

#include <algorithm>

namespace sgl::multimodal {

VisionWindows ComputeVisionWindows(const VisionGrid& grid, int merge_size, int window_side) {
  VisionWindows out;
  const int rows = grid.h / merge_size, cols = grid.w / merge_size;
  const int merge_area = merge_size * merge_size;
  out.merged_order.reserve(static_cast<size_t>(grid.t) * rows * cols);
  for (int frame = 0; frame < grid.t; ++frame) {
    const int32_t frame_begin = frame * rows * cols;
    for (int window_row = 0; window_row < rows; window_row += window_side) {
      for (int window_col = 0; window_col < cols; window_col += window_side) {
        const int row_end = std::min(rows, window_row + window_side);
        const int col_end = std::min(cols, window_col + window_side);
        for (int r = window_row; r < row_end; ++r) {
          for (int c = window_col; c < col_end; ++c) out.merged_order.push_back(frame_begin + r * cols + c);
        }
        out.window_num_patches.push_back((row_end - window_row) * (col_end - window_col) * merge_area);
      }
    }
  }
  return out;
}

}  // namespace sgl::multimodal
