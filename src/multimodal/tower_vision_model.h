// TowerVisionModel<Tower>: the VisionModel of a checkpoint whose images go through a
// Qwen2-VL-family HF image processor (SmartResize under `rule`, rescale, normalize,
// patchify) into `Tower`: the folder's preprocessor_config.json over the rule's defaults,
// config.json's image_token_id (GLM-4.1V's <|image|>, Qwen2.5-VL's <|image_pad|>), each
// placeholder expanded to a token per merged patch block, get_rope_index's 3-D positions
// (the two models agree on still images). Instantiated for Glm4vVisionTower and
// Qwen25VlVisionTower. Preprocess/NumImageTokens/Positions are const and thread-safe;
// Encode is not.
#pragma once

#include <memory>
#include <string>

#include "multimodal/vision_model.h"
#include "multimodal/vision_tower_config.h"

namespace sgl::multimodal {

// The folder's preprocessor_config.json over the defaults of `rule` (those defaults when
// the file is missing).
Result<ImagePreprocessConfig> LoadPreprocessConfig(const std::string& dir, ResizeRule rule);
// config.json's integer "image_token_id".
Result<int32_t> ReadImageTokenId(const std::string& dir);
// The preprocessor's patch, temporal patch and merge sizes must be the tower's.
Status CheckPatchGeometry(const std::string& dir, const ImagePreprocessConfig& config, const VisionTowerConfig& tower);

template <typename Tower>
class TowerVisionModel final : public VisionModel {
 public:
  // `dir`: the model's HF folder. REQUIRES: backend outlives the result.
  static Result<std::unique_ptr<TowerVisionModel>> Load(const std::string& dir, ResizeRule rule, Backend& backend) {
    SGL_ASSIGN_OR_RETURN(ImagePreprocessConfig config, LoadPreprocessConfig(dir, rule));
    SGL_ASSIGN_OR_RETURN(const int32_t image_token_id, ReadImageTokenId(dir));
    SGL_ASSIGN_OR_RETURN(std::unique_ptr<Tower> tower, Tower::Load(dir, backend));
    SGL_RETURN_IF_ERROR(CheckPatchGeometry(dir, config, tower->config()));
    return std::unique_ptr<TowerVisionModel>(new TowerVisionModel(std::move(tower), config, image_token_id));
  }

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
  TowerVisionModel(std::unique_ptr<Tower> tower, ImagePreprocessConfig config, int32_t image_token_id)
      : tower_(std::move(tower)), preprocessor_(config), image_token_id_(image_token_id) {}

  std::unique_ptr<Tower> tower_;
  ImagePreprocessor preprocessor_;
  int32_t image_token_id_;
};

}  // namespace sgl::multimodal
