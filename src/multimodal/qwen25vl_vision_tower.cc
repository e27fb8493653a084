#include "multimodal/qwen25vl_vision_tower.h"

#include <algorithm>
#include <cstring>

#include "multimodal/axial_rope.h"
#include "multimodal/vision_weights.h"

namespace sgl::multimodal {
namespace {

using nlohmann::json;

enum WorkspaceId { kPixels = kFirstFreeVisionWorkspaceId, kHidden, kMergeHidden, kMerged };

constexpr float kNormEps = 1e-6f;  // transformers hard-codes it for the tower's RMS norms

Status ReadFullAttentionBlocks(const json& v, Qwen25VlVisionConfig& c) {
  auto it = v.find("fullatt_block_indexes");
  if (it == v.end() || it->is_null()) return Status::Ok();
  if (!it->is_array()) return InvalidArgument("config.json: vision_config.fullatt_block_indexes must be a list");
  for (const json& index : *it) {
    if (!index.is_number_integer() || index.get<int64_t>() < 0 || index.get<int64_t>() >= c.depth) {
      return InvalidArgument("config.json: vision_config.fullatt_block_indexes holds {}, not a block of {}",
                             index.dump(), c.depth);
    }
    c.fullatt_block_indexes.push_back(index.get<int>());
  }
  return Status::Ok();
}

Status ReadActivation(const json& v, Qwen25VlVisionConfig& c) {
  auto it = v.find("hidden_act");
  if (it == v.end() || it->is_null()) return Status::Ok();
  const std::string act = it->is_string() ? it->get<std::string>() : it->dump();
  if (act == "silu") c.hidden_act = Activation::kSilu;
  else if (act == "gelu_pytorch_tanh") c.hidden_act = Activation::kGeluTanh;
  else return Unsupported("config.json: vision_config.hidden_act '{}' is not supported (silu, gelu_pytorch_tanh)", act);
  return Status::Ok();
}

}  // namespace

bool Qwen25VlVisionConfig::IsFullAttention(int block) const {
  return std::find(fullatt_block_indexes.begin(), fullatt_block_indexes.end(), block) != fullatt_block_indexes.end();
}

Result<Qwen25VlVisionConfig> Qwen25VlVisionConfig::FromJson(const json& config) {
  Qwen25VlVisionConfig c;
  SGL_ASSIGN_OR_RETURN(const json* vision, ReadVisionTowerConfig(config, c));
  const json& v = *vision;
  SGL_RETURN_IF_ERROR(ReadVisionInt(v, "window_size", c.window_size, false));
  SGL_RETURN_IF_ERROR(ReadFullAttentionBlocks(v, c));
  SGL_RETURN_IF_ERROR(ReadActivation(v, c));
  if (c.window_side() < 1) {
    return InvalidArgument("config.json: vision window_size {} is smaller than one merged patch ({} pixels)",
                           c.window_size, c.spatial_merge_size * c.patch_size);
  }
  return c;
}

Result<std::unique_ptr<Qwen25VlVisionTower>> Qwen25VlVisionTower::Load(const std::string& dir, Backend& backend) {
  SGL_ASSIGN_OR_RETURN(auto checkpoint, HfCheckpoint::Open(dir));
  SGL_ASSIGN_OR_RETURN(Qwen25VlVisionConfig config, Qwen25VlVisionConfig::FromJson(checkpoint->config()));
  std::unique_ptr<Qwen25VlVisionTower> tower(new Qwen25VlVisionTower(std::move(checkpoint), backend, std::move(config)));
  SGL_RETURN_IF_ERROR(tower->LoadWeights());
  return tower;
}

Status Qwen25VlVisionTower::LoadWeights() {
  const Qwen25VlVisionConfig& c = config_;
  SGL_ASSIGN_OR_RETURN(const std::string prefix,
                       VisionWeights::FindPrefix(*checkpoint_, {"visual.", "model.visual."}, "patch_embed.proj.weight"));
  const VisionWeights weights(*checkpoint_, backend_, prefix, vectors_);
  const int64_t d = c.hidden_size, merged = int64_t{d} * c.merge_area();
  SGL_ASSIGN_OR_RETURN(w_.patch_embed, weights.Get("patch_embed.proj.weight", d, c.patch_dim()));
  block_shape_ = {c.hidden_size, c.num_heads, c.intermediate_size, kNormEps, c.hidden_act};
  for (int l = 0; l < c.depth; ++l) {
    SGL_ASSIGN_OR_RETURN(VisionBlockWeights block, LoadVisionBlock(weights, l, block_shape_, true, true));
    w_.blocks.push_back(block);
  }
  SGL_ASSIGN_OR_RETURN(w_.merger_norm, weights.Get("merger.ln_q.weight", 1, d));
  SGL_ASSIGN_OR_RETURN(w_.merger_fc1, weights.Get("merger.mlp.0.weight", merged, merged));
  SGL_ASSIGN_OR_RETURN(w_.merger_fc1_bias, weights.Get("merger.mlp.0.bias", 1, merged));
  SGL_ASSIGN_OR_RETURN(w_.merger_fc2, weights.Get("merger.mlp.2.weight", c.out_hidden_size, merged));
  SGL_ASSIGN_OR_RETURN(w_.merger_fc2_bias, weights.Get("merger.mlp.2.bias", 1, c.out_hidden_size));
  rope_ = AxialVisionRope(c.head_dim(), c.rope_theta);
  return Status::Ok();
}

Qwen25VlVisionTower::Layout Qwen25VlVisionTower::MakeLayout(const VisionGrid& grid,
                                                            const VisionWindows& windows) const {
  const int merge_area = config_.merge_area();
  const std::vector<PatchPosition> positions = VisionPatchPositions(grid, config_.spatial_merge_size);
  const auto n = static_cast<int32_t>(positions.size());
  Layout layout;
  ForwardBatch& full = layout.full;
  full.input_ids.assign(n, 0);
  full.positions.assign(n, 0);
  full.axis_positions.assign(2, std::vector<int32_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    const PatchPosition& p = positions[windows.SourcePatch(i, merge_area)];
    full.axis_positions[0][i] = p.row;
    full.axis_positions[1][i] = p.col;
  }
  layout.windowed = full;
  // Window order keeps each frame's patches together, so frames are contiguous runs.
  const int32_t frame_len = grid.h * grid.w;
  for (int32_t begin = 0; begin < n; begin += frame_len) full.sequences.push_back({begin, frame_len, 0, 0});
  int32_t begin = 0;
  for (int32_t len : windows.window_num_patches) {
    layout.windowed.sequences.push_back({begin, len, 0, 0});
    begin += len;
  }
  return layout;
}

Status Qwen25VlVisionTower::Merge(const Tensor& hidden, Tensor out) {
  backend_.RmsNorm(hidden, w_.merger_norm, kNormEps, hidden);
  // merge_area consecutive patches (one merged token) are one row of the merger's input.
  const Tensor blocks{hidden.data, hidden.dtype, out.rows, hidden.cols * config_.merge_area()};
  SGL_ASSIGN_OR_RETURN(Tensor inner, ws_.Get(kMergeHidden, out.rows, blocks.cols));
  backend_.MatMul(blocks, w_.merger_fc1, w_.merger_fc1_bias, inner);
  backend_.Gelu(inner, inner);
  backend_.MatMul(inner, w_.merger_fc2, w_.merger_fc2_bias, out);
  return Status::Ok();
}

Result<std::vector<float>> Qwen25VlVisionTower::Encode(const PixelPatches& patches) {
  const Qwen25VlVisionConfig& c = config_;
  const int merge = c.spatial_merge_size, dim = c.patch_dim();
  const VisionGrid grid{patches.grid_t, patches.grid_h, patches.grid_w};
  const int64_t n = grid.num_patches();
  if (patches.patch_dim != dim || grid.t < 1 || grid.h % merge != 0 || grid.w % merge != 0 || n <= 0 ||
      patches.values.size() != static_cast<size_t>(n) * dim) {
    return InvalidArgument("Qwen2.5-VL vision: patches of {} values on a {}x{}x{} grid do not fit this tower",
                           patches.patch_dim, grid.t, grid.h, grid.w);
  }
  const VisionWindows windows = ComputeVisionWindows(grid, merge, c.window_side());
  const Layout layout = MakeLayout(grid, windows);
  std::vector<float> ordered(patches.values.size());
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(&ordered[i * dim], &patches.values[windows.SourcePatch(i, c.merge_area()) * dim], dim * sizeof(float));
  }
  SGL_ASSIGN_OR_RETURN(Tensor pixels, ws_.Get(kPixels, n, dim));
  SGL_ASSIGN_OR_RETURN(Tensor hidden, ws_.Get(kHidden, n, c.hidden_size));
  SGL_RETURN_IF_ERROR(backend_.BeginForward(layout.full));
  backend_.Upload(ordered.data(), pixels);
  backend_.MatMul(pixels, w_.patch_embed, Tensor{}, hidden);
  const ForwardBatch* current = &layout.full;
  for (int l = 0; l < c.depth; ++l) {
    const ForwardBatch* wanted = c.IsFullAttention(l) ? &layout.full : &layout.windowed;
    if (wanted != current) SGL_RETURN_IF_ERROR(backend_.BeginForward(*wanted));
    current = wanted;
    SGL_RETURN_IF_ERROR(RunVisionBlock(backend_, ws_, w_.blocks[l], block_shape_, rope_, hidden));
  }
  const int64_t num_tokens = grid.num_merged_tokens(merge);
  SGL_ASSIGN_OR_RETURN(Tensor merged, ws_.Get(kMerged, num_tokens, c.out_hidden_size));
  SGL_RETURN_IF_ERROR(Merge(hidden, merged));
  std::vector<float> window_ordered(static_cast<size_t>(num_tokens) * c.out_hidden_size);
  SGL_RETURN_IF_ERROR(backend_.CopyToHost(merged, window_ordered.data()));
  std::vector<float> features(window_ordered.size());
  const size_t row_bytes = c.out_hidden_size * sizeof(float);
  for (int64_t j = 0; j < num_tokens; ++j) {
    std::memcpy(&features[int64_t{windows.merged_order[j]} * c.out_hidden_size], &window_ordered[j * c.out_hidden_size],
                row_bytes);
  }
  return features;
}

}  // namespace sgl::multimodal
