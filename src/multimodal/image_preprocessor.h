// ImagePreprocessor: an RGB `Image` to the vision tower's input, exactly as transformers'
// Qwen2VLImageProcessor / Glm4vImageProcessor (PIL backend) make it: SmartResize, Pillow
// bicubic resize, rescale by 1/255, normalize by mean/std, then patchify into rows of
// C x temporal_patch_size x patch_size x patch_size values (the single frame repeated
// over time), rows ordered so each merge_size x merge_size block of patches is contiguous.
// Immutable after construction; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "multimodal/image.h"
#include "multimodal/smart_resize.h"

namespace sgl::multimodal {

struct ImagePreprocessConfig {
  ResizeRule rule = ResizeRule::kQwen2Vl;
  int patch_size = 14;
  int temporal_patch_size = 2;
  int merge_size = 2;
  int64_t min_pixels = 56 * 56;
  int64_t max_pixels = 28 * 28 * 1280;
  double rescale_factor = 1.0 / 255;
  std::array<float, 3> mean = {0.48145466f, 0.4578275f, 0.40821073f};  // OPENAI_CLIP_MEAN
  std::array<float, 3> std = {0.26862954f, 0.26130258f, 0.27577711f};   // OPENAI_CLIP_STD

  // The processors' defaults (transformers 5.x class attributes).
  static ImagePreprocessConfig Qwen2Vl();
  static ImagePreprocessConfig Glm4v();
  // A model's preprocessor_config.json over the defaults of `rule`: reads size
  // {shortest_edge, longest_edge} or min_pixels/max_pixels, patch/merge/temporal sizes,
  // image_mean/std, rescale_factor. Errors name the bad field.
  static Result<ImagePreprocessConfig> FromJson(std::string_view json_text, ResizeRule rule);

  Status Validate() const;
};

// The tower's input for one image: `values` is (grid_t * grid_h * grid_w) rows of
// `patch_dim` floats.
struct PixelPatches {
  int grid_t = 1;
  int grid_h = 0;
  int grid_w = 0;
  int patch_dim = 0;
  int resized_height = 0;
  int resized_width = 0;
  std::vector<float> values;

  int num_patches() const { return grid_t * grid_h * grid_w; }
};

class ImagePreprocessor {
 public:
  // REQUIRES: config.Validate() is OK.
  explicit ImagePreprocessor(ImagePreprocessConfig config) : config_(config) {}

  const ImagePreprocessConfig& config() const { return config_; }

  // The resized size `Preprocess` would use; errors as SmartResize.
  Result<ResizedSize> TargetSize(int height, int width, std::string_view what) const;
  // Placeholder tokens the language model sees for an image of `patches`:
  // num_patches / merge_size^2.
  int NumImageTokens(const PixelPatches& patches) const;

  Result<PixelPatches> Preprocess(const Image& image, std::string_view what) const;

 private:
  // REQUIRES: both sides of `resized` are multiples of patch_size * merge_size.
  PixelPatches Patchify(const Image& resized) const;

  ImagePreprocessConfig config_;
};

}  // namespace sgl::multimodal
