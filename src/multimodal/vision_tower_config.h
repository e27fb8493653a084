// VisionTowerConfig: the vision_config fields the Qwen2-VL family's vision towers share
// (GLM-4.1V, Qwen2.5-VL): sizes, patch/merge geometry and the 2-D rotary base. Each
// tower's config derives from it and adds its own fields. Plain data.
#pragma once

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace sgl::multimodal {

struct VisionTowerConfig {
  int depth = 0;
  int hidden_size = 0;
  int num_heads = 0;
  int intermediate_size = 0;  // an MLP width (which MLP: see the tower's config)
  int out_hidden_size = 0;    // the language model's hidden size
  int patch_size = 14;
  int temporal_patch_size = 2;
  int spatial_merge_size = 2;
  int in_channels = 3;
  double rope_theta = 10000.0;

  int head_dim() const { return hidden_size / num_heads; }
  int patch_dim() const { return in_channels * temporal_patch_size * patch_size * patch_size; }
  int merge_area() const { return spatial_merge_size * spatial_merge_size; }
};

// config.json's "vision_config" object with the shared fields read into `out` (heads must
// split hidden_size into multiples of 4 for the 2-D rotary), or an error naming the bad field.
// The returned pointer borrows from `config`.
Result<const nlohmann::json*> ReadVisionTowerConfig(const nlohmann::json& config, VisionTowerConfig& out);

// vision_config[key] as an integer in [1, 2^20]; a missing or null key is an error only
// when `required` (then `out` keeps its default).
Status ReadVisionInt(const nlohmann::json& vision_config, const char* key, int& out, bool required);

}  // namespace sgl::multimodal
