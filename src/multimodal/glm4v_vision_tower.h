// Glm4vVisionTower: GLM-4.1V's vision encoder (transformers' Glm4vVisionModel) over
// Backend ops: patch embedding (the Conv3d as a matmul), RMS norm, the learned position
// table resampled to the image's grid, pre-norm blocks of full attention with 2-D rotary
// positions and a SiLU-gated MLP, the 2x2 downsample (the Conv2d as a matmul) and the
// patch merger. Encode returns the embeddings that replace an image's placeholder
// tokens. Loads from an HF folder (config.json's vision_config, model.visual.* tensors);
// the checkpoint stays mapped for the tower's lifetime. Not thread-safe: one thread
// drives it and its backend.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "format/hf_checkpoint.h"
#include "model/workspace.h"
#include "multimodal/image_preprocessor.h"
#include "multimodal/vision_block.h"
#include "multimodal/vision_tower_config.h"
#include "multimodal/vision_grid.h"

namespace sgl::multimodal {

// intermediate_size is the merger's gated MLP; the blocks' MLP is out_hidden_size wide.
struct Glm4vVisionConfig : VisionTowerConfig {
  int image_size = 336;  // the position table covers image_size / patch_size patches per side
  float rms_norm_eps = 1e-5f;
  bool attention_bias = false;

  // Reads config.json's "vision_config"; errors name the bad field.
  static Result<Glm4vVisionConfig> FromJson(const nlohmann::json& config);
};

class Glm4vVisionTower {
 public:
  // `dir`: an HF folder of a Glm4vForConditionalGeneration checkpoint.
  static Result<std::unique_ptr<Glm4vVisionTower>> Load(const std::string& dir, Backend& backend);
  Glm4vVisionTower(const Glm4vVisionTower&) = delete;
  Glm4vVisionTower& operator=(const Glm4vVisionTower&) = delete;

  const Glm4vVisionConfig& config() const { return config_; }

  // The image's embeddings: num_merged_tokens rows of out_hidden_size floats.
  // REQUIRES: patches came from a preprocessor with this tower's patch/merge sizes.
  Result<std::vector<float>> Encode(const PixelPatches& patches);

 private:
  struct Weights {
    Tensor patch_embed, patch_embed_bias, post_conv_norm, post_norm;
    Tensor downsample, downsample_bias;
    Tensor merger_proj, merger_norm, merger_norm_bias, merger_gate, merger_up, merger_down;
    std::vector<VisionBlockWeights> blocks;
  };

  Glm4vVisionTower(std::unique_ptr<HfCheckpoint> checkpoint, Backend& backend, Glm4vVisionConfig config)
      : checkpoint_(std::move(checkpoint)), backend_(backend), ws_(backend), config_(config) {}
  Status LoadWeights();
  Status Merge(const Tensor& hidden, int64_t num_tokens, Tensor out);

  std::unique_ptr<HfCheckpoint> checkpoint_;
  std::deque<std::vector<float>> vectors_;  // one-row weights converted to F32 (VisionWeights)
  Backend& backend_;
  Workspace ws_;
  Glm4vVisionConfig config_;
  Weights w_;
  std::vector<float> position_table_;     // side * side * hidden_size, host copy
  std::vector<float> downsample_host_;    // the Conv2d weight reordered to (kernel pos, channel)
  VisionBlockShape block_shape_;
  RopeSpec rope_;
};

}  // namespace sgl::multimodal
