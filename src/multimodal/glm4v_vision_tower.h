// Glm4vVisionTower: GLM-4.1V's vision encoder (transformers' Glm4vVisionModel) over
// Backend ops: patch embedding (the Conv3d as a matmul), RMS norm, the learned position
// table resampled to the image's grid, pre-norm blocks of full attention with 2-D rotary
// positions and a SiLU-gated MLP, the 2x2 downsample (the Conv2d as a matmul) and the
// patch merger. Encode returns the embeddings that replace an image's placeholder
// tokens. Loads from an HF folder (config.json's vision_config, model.visual.* tensors);
// the checkpoint stays mapped for the tower's lifetime. Not thread-safe: one thread
// drives it and its backend.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "format/hf_checkpoint.h"
#include "model/workspace.h"
#include "multimodal/image_preprocessor.h"
#include "multimodal/vision_grid.h"

namespace sgl::multimodal {

struct Glm4vVisionConfig {
  int depth = 0;
  int hidden_size = 0;
  int num_heads = 0;
  int intermediate_size = 0;  // the merger's gated MLP
  int out_hidden_size = 0;    // the language model's hidden size; also the blocks' MLP width
  int patch_size = 14;
  int temporal_patch_size = 2;
  int spatial_merge_size = 2;
  int image_size = 336;  // the position table covers image_size / patch_size patches per side
  int in_channels = 3;
  float rms_norm_eps = 1e-5f;
  double rope_theta = 10000.0;
  bool attention_bias = false;

  int head_dim() const { return hidden_size / num_heads; }
  int patch_dim() const { return in_channels * temporal_patch_size * patch_size * patch_size; }
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
  struct Block {
    Tensor norm1, norm2, qkv, qkv_bias, proj, gate, up, down;
  };
  struct Weights {
    Tensor patch_embed, patch_embed_bias, post_conv_norm, post_norm;
    Tensor downsample, downsample_bias;
    Tensor merger_proj, merger_norm, merger_norm_bias, merger_gate, merger_up, merger_down;
    std::vector<Block> blocks;
  };

  Glm4vVisionTower(std::unique_ptr<HfCheckpoint> checkpoint, Backend& backend, Glm4vVisionConfig config)
      : checkpoint_(std::move(checkpoint)), backend_(backend), ws_(backend), config_(config) {}
  Status LoadWeights();
  Result<Tensor> Weight(const std::string& name, int64_t rows, int64_t cols);
  Status RunBlock(const Block& block, Tensor hidden, int64_t num_patches);
  Status Merge(const Tensor& hidden, int64_t num_tokens, Tensor out);

  std::unique_ptr<HfCheckpoint> checkpoint_;
  Backend& backend_;
  Workspace ws_;
  Glm4vVisionConfig config_;
  Weights w_;
  std::vector<float> position_table_;     // side * side * hidden_size, host copy
  std::vector<float> downsample_host_;    // the Conv2d weight reordered to (kernel pos, channel)
  RopeSpec rope_;
};

}  // namespace sgl::multimodal
