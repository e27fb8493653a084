// BuildImagePrompt: on the submitting thread (never the scheduler's), a prompt with images
// becomes what the scheduler needs: each image loaded (bytes, data: URL, base64 or file),
// decoded, hashed and preprocessed; the prompt's placeholders expanded; the 3-D rotary
// positions computed; and each image's tokens replaced by its pad id. Thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "multimodal/image_decoder.h"
#include "multimodal/image_source.h"
#include "multimodal/mrope_positions.h"
#include "multimodal/vision_model.h"
#include "runtime/request_image.h"
#include "sgl/engine.h"

namespace sgl {

struct ImagePrompt {
  std::vector<int32_t> input_ids;  // expanded; image tokens are their images' pad ids
  std::vector<RequestImage> images;
  multimodal::MropePositions mrope;
  double preprocess_seconds = 0;  // load + decode + preprocess, all images
};

struct ImagePromptOptions {
  int64_t vocab_size = 0;  // pad ids start here
  multimodal::ImageSourceOptions source;
  multimodal::ImageLimits limits;
};

// Errors (InvalidArgument, naming the image as "image i"): an image that does not load or
// decode, or is too large; placeholders and images that disagree in number.
Result<ImagePrompt> BuildImagePrompt(std::span<const int32_t> input_ids, std::span<const ImageInput> images,
                                     const multimodal::VisionModel& vision, const ImagePromptOptions& options);

}  // namespace sgl
