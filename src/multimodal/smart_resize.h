// SmartResize: the target size the Qwen2-VL / GLM-4.1V image processors resize to before
// patchifying: both sides multiples of `factor` (patch_size * merge_size), the area within
// [min_pixels, max_pixels], the aspect ratio kept as closely as possible. Mirrors
// transformers' smart_resize functions (Python's round-half-to-even included). Pure.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace sgl::multimodal {

enum class ResizeRule {
  kQwen2Vl,  // Qwen2VLImageProcessor (Qwen2-VL, Qwen2.5-VL)
  kGlm4v,    // Glm4vImageProcessor: sides under `factor` are scaled up first, and the
             // area limits count `temporal_patch_size` frames
};

struct SmartResizeParams {
  ResizeRule rule = ResizeRule::kQwen2Vl;
  int factor = 28;
  int64_t min_pixels = 56 * 56;
  int64_t max_pixels = 28 * 28 * 1280;
  int temporal_patch_size = 2;  // kGlm4v only
};

struct ResizedSize {
  int height = 0;
  int width = 0;
};

// Errors: an aspect ratio over 200 (as transformers refuses), or a result with no pixels.
Result<ResizedSize> SmartResize(int height, int width, const SmartResizeParams& params, std::string_view what);

}  // namespace sgl::multimodal
