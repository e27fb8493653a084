#include "multimodal/glm4v_vision_tower.h"

#include <cstring>

#include "multimodal/axial_rope.h"
#include "multimodal/position_embedding_interpolation.h"
#include "multimodal/vision_weights.h"

namespace sgl::multimodal {
namespace {

using nlohmann::json;

enum WorkspaceId {
  kPixels = kFirstFreeVisionWorkspaceId,
  kHidden,
  kPosEmbed,
  kMerged,
  kMergeA,
  kMergeB,
  kMergeGate,
  kMergeUp
};

}  // namespace

Result<Glm4vVisionConfig> Glm4vVisionConfig::FromJson(const json& config) {
  Glm4vVisionConfig c;
  SGL_ASSIGN_OR_RETURN(const json* vision, ReadVisionTowerConfig(config, c));
  const json& v = *vision;
  SGL_RETURN_IF_ERROR(ReadVisionInt(v, "image_size", c.image_size, false));
  if (auto eps = v.find("rms_norm_eps"); eps != v.end() && eps->is_number()) c.rms_norm_eps = eps->get<float>();
  if (auto bias = v.find("attention_bias"); bias != v.end() && bias->is_boolean()) c.attention_bias = bias->get<bool>();
  if (c.image_size % c.patch_size != 0) {
    return InvalidArgument("config.json: vision image_size is not a multiple of patch_size");
  }
  return c;
}

Result<std::unique_ptr<Glm4vVisionTower>> Glm4vVisionTower::Load(const std::string& dir, Backend& backend) {
  SGL_ASSIGN_OR_RETURN(auto checkpoint, HfCheckpoint::Open(dir));
  SGL_ASSIGN_OR_RETURN(const Glm4vVisionConfig config, Glm4vVisionConfig::FromJson(checkpoint->config()));
  std::unique_ptr<Glm4vVisionTower> tower(new Glm4vVisionTower(std::move(checkpoint), backend, config));
  SGL_RETURN_IF_ERROR(tower->LoadWeights());
  return tower;
}

Status Glm4vVisionTower::LoadWeights() {
  const Glm4vVisionConfig& c = config_;
  const VisionWeights weights(*checkpoint_, backend_, "model.visual.", vectors_);
  const int64_t hidden = c.hidden_size, out = c.out_hidden_size, merge_area = c.spatial_merge_size * c.spatial_merge_size;
  SGL_ASSIGN_OR_RETURN(w_.patch_embed, weights.Get("patch_embed.proj.weight", hidden, c.patch_dim()));
  SGL_ASSIGN_OR_RETURN(w_.patch_embed_bias, weights.Get("patch_embed.proj.bias", 1, hidden));
  SGL_ASSIGN_OR_RETURN(w_.post_conv_norm, weights.Get("post_conv_layernorm.weight", 1, hidden));
  SGL_ASSIGN_OR_RETURN(w_.post_norm, weights.Get("post_layernorm.weight", 1, hidden));
  block_shape_ = {c.hidden_size, c.num_heads, c.out_hidden_size, c.rms_norm_eps, Activation::kSilu};
  for (int l = 0; l < c.depth; ++l) {
    SGL_ASSIGN_OR_RETURN(VisionBlockWeights block, LoadVisionBlock(weights, l, block_shape_, c.attention_bias, false));
    w_.blocks.push_back(block);
  }
  // Conv2d weight [out, hidden, m, m] -> [out, (m * m) x hidden], so that merge_area
  // consecutive patch rows, read as one row, meet their kernel weights.
  SGL_ASSIGN_OR_RETURN(const std::vector<float> conv,
                       HostFloats(*checkpoint_, "model.visual.downsample.weight", out * hidden * merge_area));
  downsample_host_.resize(conv.size());
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t ch = 0; ch < hidden; ++ch) {
      for (int64_t k = 0; k < merge_area; ++k) {
        downsample_host_[(o * merge_area + k) * hidden + ch] = conv[(o * hidden + ch) * merge_area + k];
      }
    }
  }
  SGL_ASSIGN_OR_RETURN(w_.downsample,
                       backend_.PrepareWeight(Tensor{downsample_host_.data(), DType::kF32, out, merge_area * hidden}));
  SGL_ASSIGN_OR_RETURN(w_.downsample_bias, weights.Get("downsample.bias", 1, out));
  SGL_ASSIGN_OR_RETURN(w_.merger_proj, weights.Get("merger.proj.weight", out, out));
  SGL_ASSIGN_OR_RETURN(w_.merger_norm, weights.Get("merger.post_projection_norm.weight", 1, out));
  SGL_ASSIGN_OR_RETURN(w_.merger_norm_bias, weights.Get("merger.post_projection_norm.bias", 1, out));
  SGL_ASSIGN_OR_RETURN(w_.merger_gate, weights.Get("merger.gate_proj.weight", c.intermediate_size, out));
  SGL_ASSIGN_OR_RETURN(w_.merger_up, weights.Get("merger.up_proj.weight", c.intermediate_size, out));
  SGL_ASSIGN_OR_RETURN(w_.merger_down, weights.Get("merger.down_proj.weight", out, c.intermediate_size));
  const int side = c.image_size / c.patch_size;
  SGL_ASSIGN_OR_RETURN(position_table_, HostFloats(*checkpoint_, "model.visual.embeddings.position_embedding.weight",
                                                   int64_t{side} * side * hidden));
  rope_ = AxialVisionRope(c.head_dim(), c.rope_theta);
  return Status::Ok();
}

Status Glm4vVisionTower::Merge(const Tensor& hidden, int64_t num_tokens, Tensor out) {
  const Glm4vVisionConfig& c = config_;
  const int64_t width = c.out_hidden_size;
  // merge_area consecutive patches (one merge block) are one row of the downsample's input.
  const Tensor blocks{hidden.data, hidden.dtype, num_tokens, hidden.cols * c.spatial_merge_size * c.spatial_merge_size};
  SGL_ASSIGN_OR_RETURN(Tensor a, ws_.Get(kMergeA, num_tokens, width));
  SGL_ASSIGN_OR_RETURN(Tensor b, ws_.Get(kMergeB, num_tokens, width));
  SGL_ASSIGN_OR_RETURN(Tensor gate, ws_.Get(kMergeGate, num_tokens, c.intermediate_size));
  SGL_ASSIGN_OR_RETURN(Tensor up, ws_.Get(kMergeUp, num_tokens, c.intermediate_size));
  backend_.MatMul(blocks, w_.downsample, w_.downsample_bias, a);
  backend_.MatMul(a, w_.merger_proj, Tensor{}, b);
  backend_.LayerNorm(b, w_.merger_norm, w_.merger_norm_bias, 1e-5f, b);
  backend_.Gelu(b, b);
  const LinearJob jobs[] = {{w_.merger_gate, Tensor{}, gate}, {w_.merger_up, Tensor{}, up}};
  backend_.MatMuls(b, jobs);
  backend_.GatedActivation(gate, up, Activation::kSilu, gate);
  backend_.MatMul(gate, w_.merger_down, Tensor{}, out);
  return Status::Ok();
}

Result<std::vector<float>> Glm4vVisionTower::Encode(const PixelPatches& patches) {
  const Glm4vVisionConfig& c = config_;
  const int merge = c.spatial_merge_size;
  const VisionGrid grid{patches.grid_t, patches.grid_h, patches.grid_w};
  const int64_t n = grid.num_patches();
  if (patches.patch_dim != c.patch_dim() || grid.h % merge != 0 || grid.w % merge != 0 || n == 0 ||
      patches.values.size() != static_cast<size_t>(n) * c.patch_dim()) {
    return InvalidArgument("GLM-4.1V vision: patches of {} values on a {}x{} grid do not fit this tower",
                           patches.patch_dim, grid.h, grid.w);
  }
  const std::vector<PatchPosition> positions = VisionPatchPositions(grid, merge);
  ForwardBatch batch;
  batch.input_ids.assign(n, 0);
  batch.positions.assign(n, 0);
  batch.axis_positions.assign(2, std::vector<int32_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    batch.axis_positions[0][i] = positions[i].row;
    batch.axis_positions[1][i] = positions[i].col;
  }
  batch.sequences.push_back({0, static_cast<int32_t>(n), 0, 0});
  SGL_RETURN_IF_ERROR(backend_.BeginForward(batch));

  SGL_ASSIGN_OR_RETURN(Tensor pixels, ws_.Get(kPixels, n, c.patch_dim()));
  SGL_ASSIGN_OR_RETURN(Tensor hidden, ws_.Get(kHidden, n, c.hidden_size));
  SGL_ASSIGN_OR_RETURN(Tensor pos_embed_rows, ws_.Get(kPosEmbed, n, c.hidden_size));
  backend_.Upload(patches.values.data(), pixels);
  backend_.MatMul(pixels, w_.patch_embed, w_.patch_embed_bias, hidden);
  backend_.RmsNorm(hidden, w_.post_conv_norm, c.rms_norm_eps, hidden);
  const int side = c.image_size / c.patch_size;
  const std::vector<float> pos_embed =
      InterpolatePositionEmbedding(position_table_, side, c.hidden_size, positions, grid.h, grid.w);
  backend_.Upload(pos_embed.data(), pos_embed_rows);
  backend_.Add(hidden, pos_embed_rows);
  for (const VisionBlockWeights& block : w_.blocks) {
    SGL_RETURN_IF_ERROR(RunVisionBlock(backend_, ws_, block, block_shape_, rope_, hidden));
  }
  backend_.RmsNorm(hidden, w_.post_norm, c.rms_norm_eps, hidden);

  const int64_t num_tokens = grid.num_merged_tokens(merge);
  SGL_ASSIGN_OR_RETURN(Tensor merged, ws_.Get(kMerged, num_tokens, c.out_hidden_size));
  SGL_RETURN_IF_ERROR(Merge(hidden, num_tokens, merged));
  std::vector<float> features(static_cast<size_t>(num_tokens) * c.out_hidden_size);
  SGL_RETURN_IF_ERROR(backend_.CopyToHost(merged, features.data()));
  return features;
}

}  // namespace sgl::multimodal
