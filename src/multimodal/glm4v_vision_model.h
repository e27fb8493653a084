// Glm4vVisionModel: GLM-4.1V's VisionModel: Glm4vImageProcessor's preprocessing (from the
// folder's preprocessor_config.json, else its defaults), one <|image|> expanded to a
// token per merged 2x2 patch block, get_rope_index's 3-D positions, and Glm4vVisionTower.
// Preprocess/NumImageTokens/Positions are const and thread-safe; Encode is not.
#pragma once

#include <memory>
#include <string>

#include "multimodal/glm4v_vision_tower.h"
#include "multimodal/vision_model.h"

namespace sgl::multimodal {

class Glm4vVisionModel final : public VisionModel {
 public:
  // `dir`: an HF Glm4vForConditionalGeneration folder.
  static Result<std::unique_ptr<Glm4vVisionModel>> Load(const std::string& dir, Backend& backend);

  int32_t image_token_id() const override { return image_token_id_; }
  int64_t embedding_width() const override { return tower_->config().out_hidden_size; }
  Result<PixelPatches> Preprocess(const Image& image, std::string_view what) const override {
    return preprocessor_.Preprocess(image, what);
  }
  int NumImageTokens(const PixelPatches& patches) const override { return preprocessor_.NumImageTokens(patches); }
  Result<MropePositions> Positions(std::span<const int32_t> input_ids,
                                   std::span<const VisionGrid> grids) const override {
    return ComputeMropePositions(input_ids, image_token_id_, grids, preprocessor_.config().merge_size);
  }
  Result<std::vector<float>> Encode(const PixelPatches& patches) override { return tower_->Encode(patches); }

 private:
  Glm4vVisionModel(std::unique_ptr<Glm4vVisionTower> tower, ImagePreprocessConfig config, int32_t image_token_id)
      : tower_(std::move(tower)), preprocessor_(config), image_token_id_(image_token_id) {}

  std::unique_ptr<Glm4vVisionTower> tower_;
  ImagePreprocessor preprocessor_;
  int32_t image_token_id_;
};

}  // namespace sgl::multimodal
