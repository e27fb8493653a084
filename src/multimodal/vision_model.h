// VisionModel: the per-architecture part of image input, which the engine and scheduler
// drive without knowing the architecture: the placeholder token the chat template writes
// once per image and how many tokens it expands to, the preprocessing (thread-safe: the
// engine runs it on the caller's thread), the language model's 3-D rotary positions for
// an expanded prompt, and the encoder (one thread only, the engine's encoder thread: it
// drives the backend the model was loaded on, the vision model's own). GLM-4.1V and Qwen2.5-VL are TowerVisionModel over their towers (tower_vision_model.h).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "base/status.h"
#include "model/model_config.h"
#include "multimodal/image.h"
#include "multimodal/image_preprocessor.h"
#include "multimodal/mrope_positions.h"
#include "multimodal/vision_grid.h"

namespace sgl::multimodal {

class VisionModel {
 public:
  virtual ~VisionModel() = default;

  // The token that stands for one image in a rendered prompt (GLM-4.1V: <|image|>); the
  // engine repeats it NumImageTokens times, as the HF processor does.
  virtual int32_t image_token_id() const = 0;
  // Width of an encoder output row (the language model's hidden size).
  virtual int64_t embedding_width() const = 0;

  // Thread-safe. The encoder's input for one image; `what` names it in errors.
  virtual Result<PixelPatches> Preprocess(const Image& image, std::string_view what) const = 0;
  // Thread-safe. How many tokens an image of `patches` takes in the prompt.
  virtual int NumImageTokens(const PixelPatches& patches) const = 0;
  // Thread-safe. The 3-D positions of an expanded prompt whose image tokens are
  // image_token_id, one grid per image in order; errors when they disagree.
  virtual Result<MropePositions> Positions(std::span<const int32_t> input_ids,
                                           std::span<const VisionGrid> grids) const = 0;

  // One thread only (it drives the backend). NumImageTokens rows of embedding_width floats.
  virtual Result<std::vector<float>> Encode(const PixelPatches& patches) = 0;
};

// Whether LoadVisionModel gives `arch` a vision model.
bool TakesImages(Architecture arch);

// The vision model of the checkpoint at `model_path` on `backend`, or nullptr when
// `arch` takes no images. REQUIRES: backend outlives the result.
Result<std::unique_ptr<VisionModel>> LoadVisionModel(const std::string& model_path, Architecture arch,
                                                     Backend& backend);

}  // namespace sgl::multimodal
