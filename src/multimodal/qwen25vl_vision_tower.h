// Qwen25VlVisionTower: Qwen2.5-VL's vision encoder (transformers'
// Qwen2_5_VisionTransformerPretrainedModel) over Backend ops: patch embedding (the Conv3d
// as a matmul, no bias), pre-norm blocks (RMS norm, attention with 2-D rotary positions,
// SiLU-gated MLP with biases) that attend within windows of merged tokens except the
// fullatt_block_indexes blocks, which see the whole frame, then the patch merger (RMS
// norm, 2x2 patches concatenated, MLP with GELU). Encode returns the embeddings that
// replace an image's placeholder tokens, in the preprocessor's order (the window
// permutation is applied to the patches on the host and undone on the output).
// Loads from an HF folder (config.json's vision_config; tensors under "visual." or
// "model.visual."); the checkpoint stays mapped for the tower's lifetime. Not
// thread-safe: one thread drives it and its backend.
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
#include "multimodal/vision_windows.h"

namespace sgl::multimodal {

// intermediate_size is the blocks' MLP width.
struct Qwen25VlVisionConfig : VisionTowerConfig {
  int window_size = 112;                   // pixels per window side
  std::vector<int> fullatt_block_indexes;  // blocks that attend over the whole frame
  Activation hidden_act = Activation::kSilu;

  // Merged tokens per window side.
  int window_side() const { return window_size / spatial_merge_size / patch_size; }
  bool IsFullAttention(int block) const;
  // Reads config.json's "vision_config"; errors name the bad field.
  static Result<Qwen25VlVisionConfig> FromJson(const nlohmann::json& config);
};

class Qwen25VlVisionTower {
 public:
  // `dir`: an HF folder of a Qwen2_5_VLForConditionalGeneration checkpoint.
  static Result<std::unique_ptr<Qwen25VlVisionTower>> Load(const std::string& dir, Backend& backend);
  Qwen25VlVisionTower(const Qwen25VlVisionTower&) = delete;
  Qwen25VlVisionTower& operator=(const Qwen25VlVisionTower&) = delete;

  const Qwen25VlVisionConfig& config() const { return config_; }

  // The image's embeddings: num_merged_tokens rows of out_hidden_size floats.
  // REQUIRES: nothing; patches that do not fit this tower are an InvalidArgument.
  Result<std::vector<float>> Encode(const PixelPatches& patches);

 private:
  struct Weights {
    Tensor patch_embed, merger_norm, merger_fc1, merger_fc1_bias, merger_fc2, merger_fc2_bias;
    std::vector<VisionBlockWeights> blocks;
  };
  // One image's batches: the same patches and positions, cut into windows or into frames.
  struct Layout {
    ForwardBatch windowed;
    ForwardBatch full;
  };

  Qwen25VlVisionTower(std::unique_ptr<HfCheckpoint> checkpoint, Backend& backend, Qwen25VlVisionConfig config)
      : checkpoint_(std::move(checkpoint)), backend_(backend), ws_(backend), config_(std::move(config)) {}
  Status LoadWeights();
  Layout MakeLayout(const VisionGrid& grid, const VisionWindows& windows) const;
  Status Merge(const Tensor& hidden, Tensor out);

  std::unique_ptr<HfCheckpoint> checkpoint_;
  std::deque<std::vector<float>> vectors_;  // one-row weights converted to F32 (VisionWeights)
  Backend& backend_;
  Workspace ws_;
  Qwen25VlVisionConfig config_;
  VisionBlockShape block_shape_;
  Weights w_;
  RopeSpec rope_;
};

}  // namespace sgl::multimodal
