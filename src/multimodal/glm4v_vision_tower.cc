#include "multimodal/glm4v_vision_tower.h"

#include <cmath>
#include <cstring>

#include "multimodal/position_embedding_interpolation.h"

namespace sgl::multimodal {
namespace {

using nlohmann::json;

enum WorkspaceId { kPixels, kHidden, kNormed, kQkv, kAttn, kBranch, kGate, kUp, kMerged, kMergeA, kMergeB, kMergeGate, kMergeUp };

Status ReadInt(const json& j, const char* key, int& out, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return required ? NotFound("config.json: vision_config lacks '{}'", key) : Status::Ok();
  }
  if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > (1 << 20)) {
    return InvalidArgument("config.json: vision_config.{} must be a positive integer", key);
  }
  out = it->get<int>();
  return Status::Ok();
}

// A tensor's row-major floats, or an error naming it (the position table and the downsample
// weight are reshaped on the host).
Result<std::vector<float>> HostFloats(const HfCheckpoint& checkpoint, const std::string& name, int64_t count) {
  const TensorView* view = checkpoint.FindTensor(name);
  if (view == nullptr) return NotFound("{}: missing tensor '{}'", checkpoint.dir(), name);
  if (view->dtype != DType::kF32 || view->NumElements() != count) {
    return Unsupported("{}: '{}' must be F32 with {} elements", checkpoint.dir(), name, count);
  }
  std::vector<float> values(count);
  std::memcpy(values.data(), view->data, count * sizeof(float));
  return values;
}

// The part [offset, offset + cols) of a one-row tensor (a slice of a fused bias).
Tensor ColumnSlice(const Tensor& row, int64_t offset, int64_t cols) {
  return {static_cast<uint8_t*>(row.data) + RowBytes(row.dtype, offset), row.dtype, 1, cols};
}

}  // namespace

Result<Glm4vVisionConfig> Glm4vVisionConfig::FromJson(const json& config) {
  auto it = config.find("vision_config");
  if (it == config.end() || !it->is_object()) return NotFound("config.json: missing 'vision_config'");
  const json& v = *it;
  Glm4vVisionConfig c;
  SGL_RETURN_IF_ERROR(ReadInt(v, "depth", c.depth, true));
  SGL_RETURN_IF_ERROR(ReadInt(v, "hidden_size", c.hidden_size, true));
  SGL_RETURN_IF_ERROR(ReadInt(v, "num_heads", c.num_heads, true));
  SGL_RETURN_IF_ERROR(ReadInt(v, "intermediate_size", c.intermediate_size, true));
  SGL_RETURN_IF_ERROR(ReadInt(v, "out_hidden_size", c.out_hidden_size, true));
  SGL_RETURN_IF_ERROR(ReadInt(v, "patch_size", c.patch_size, false));
  SGL_RETURN_IF_ERROR(ReadInt(v, "temporal_patch_size", c.temporal_patch_size, false));
  SGL_RETURN_IF_ERROR(ReadInt(v, "spatial_merge_size", c.spatial_merge_size, false));
  SGL_RETURN_IF_ERROR(ReadInt(v, "image_size", c.image_size, false));
  SGL_RETURN_IF_ERROR(ReadInt(v, "in_channels", c.in_channels, false));
  if (auto eps = v.find("rms_norm_eps"); eps != v.end() && eps->is_number()) c.rms_norm_eps = eps->get<float>();
  if (auto bias = v.find("attention_bias"); bias != v.end() && bias->is_boolean()) c.attention_bias = bias->get<bool>();
  if (auto rope = v.find("rope_parameters"); rope != v.end() && rope->is_object()) {
    if (auto theta = rope->find("rope_theta"); theta != rope->end() && theta->is_number()) {
      c.rope_theta = theta->get<double>();
    }
  }
  if (c.hidden_size % c.num_heads != 0 || c.head_dim() % 4 != 0) {
    return InvalidArgument("config.json: vision hidden_size {} does not split into {} heads of a multiple of 4",
                           c.hidden_size, c.num_heads);
  }
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

Result<Tensor> Glm4vVisionTower::Weight(const std::string& name, int64_t rows, int64_t cols) {
  const std::string full = "model.visual." + name;
  const TensorView* view = checkpoint_->FindTensor(full);
  if (view == nullptr) return NotFound("{}: missing tensor '{}'", checkpoint_->dir(), full);
  if (view->NumElements() != rows * cols) {
    return InvalidArgument("{}: '{}' has {} elements, expected {}x{}", checkpoint_->dir(), full, view->NumElements(),
                           rows, cols);
  }
  return backend_.PrepareWeight(Tensor{const_cast<void*>(view->data), view->dtype, rows, cols});
}

Status Glm4vVisionTower::LoadWeights() {
  const Glm4vVisionConfig& c = config_;
  const int64_t hidden = c.hidden_size, out = c.out_hidden_size, merge_area = c.spatial_merge_size * c.spatial_merge_size;
  SGL_ASSIGN_OR_RETURN(w_.patch_embed, Weight("patch_embed.proj.weight", hidden, c.patch_dim()));
  SGL_ASSIGN_OR_RETURN(w_.patch_embed_bias, Weight("patch_embed.proj.bias", 1, hidden));
  SGL_ASSIGN_OR_RETURN(w_.post_conv_norm, Weight("post_conv_layernorm.weight", 1, hidden));
  SGL_ASSIGN_OR_RETURN(w_.post_norm, Weight("post_layernorm.weight", 1, hidden));
  w_.blocks.resize(c.depth);
  for (int l = 0; l < c.depth; ++l) {
    Block& b = w_.blocks[l];
    const std::string p = fmt::format("blocks.{}.", l);
    SGL_ASSIGN_OR_RETURN(b.norm1, Weight(p + "norm1.weight", 1, hidden));
    SGL_ASSIGN_OR_RETURN(b.norm2, Weight(p + "norm2.weight", 1, hidden));
    SGL_ASSIGN_OR_RETURN(b.qkv, Weight(p + "attn.qkv.weight", 3 * hidden, hidden));
    if (c.attention_bias) {
      SGL_ASSIGN_OR_RETURN(b.qkv_bias, Weight(p + "attn.qkv.bias", 1, 3 * hidden));
    }
    SGL_ASSIGN_OR_RETURN(b.proj, Weight(p + "attn.proj.weight", hidden, hidden));
    SGL_ASSIGN_OR_RETURN(b.gate, Weight(p + "mlp.gate_proj.weight", out, hidden));
    SGL_ASSIGN_OR_RETURN(b.up, Weight(p + "mlp.up_proj.weight", out, hidden));
    SGL_ASSIGN_OR_RETURN(b.down, Weight(p + "mlp.down_proj.weight", hidden, out));
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
  SGL_ASSIGN_OR_RETURN(w_.downsample_bias, Weight("downsample.bias", 1, out));
  SGL_ASSIGN_OR_RETURN(w_.merger_proj, Weight("merger.proj.weight", out, out));
  SGL_ASSIGN_OR_RETURN(w_.merger_norm, Weight("merger.post_projection_norm.weight", 1, out));
  SGL_ASSIGN_OR_RETURN(w_.merger_norm_bias, Weight("merger.post_projection_norm.bias", 1, out));
  SGL_ASSIGN_OR_RETURN(w_.merger_gate, Weight("merger.gate_proj.weight", c.intermediate_size, out));
  SGL_ASSIGN_OR_RETURN(w_.merger_up, Weight("merger.up_proj.weight", c.intermediate_size, out));
  SGL_ASSIGN_OR_RETURN(w_.merger_down, Weight("merger.down_proj.weight", out, c.intermediate_size));
  const int side = c.image_size / c.patch_size;
  SGL_ASSIGN_OR_RETURN(position_table_, HostFloats(*checkpoint_, "model.visual.embeddings.position_embedding.weight",
                                                   int64_t{side} * side * hidden));
  // Axial 2-D rotary: head_dim / 4 frequencies for the row, the same ones for the column,
  // rotating pairs (i, i + head_dim / 2) as rotate_half does.
  const int quarter = c.head_dim() / 4;
  for (int axis = 0; axis < 2; ++axis) {
    for (int i = 0; i < quarter; ++i) {
      rope_.inv_freq.push_back(
          static_cast<float>(1.0 / std::pow(c.rope_theta, static_cast<double>(2 * i) / (c.head_dim() / 2))));
    }
  }
  rope_.neox = true;
  rope_.axis_sections = {quarter, quarter};
  return Status::Ok();
}

Status Glm4vVisionTower::RunBlock(const Block& b, Tensor hidden, int64_t n) {
  const Glm4vVisionConfig& c = config_;
  const int64_t d = c.hidden_size;
  SGL_ASSIGN_OR_RETURN(Tensor normed, ws_.Get(kNormed, n, d));
  SGL_ASSIGN_OR_RETURN(Tensor qkv, ws_.Get(kQkv, 3 * n, d));
  SGL_ASSIGN_OR_RETURN(Tensor attn, ws_.Get(kAttn, n, d));
  SGL_ASSIGN_OR_RETURN(Tensor branch, ws_.Get(kBranch, n, d));
  const Tensor q = qkv.Rows(0, n), k = qkv.Rows(n, n), v = qkv.Rows(2 * n, n);
  backend_.RmsNorm(hidden, b.norm1, c.rms_norm_eps, normed);
  const bool bias = !b.qkv_bias.empty();
  const LinearJob qkv_jobs[] = {{b.qkv.Rows(0, d), bias ? ColumnSlice(b.qkv_bias, 0, d) : Tensor{}, q},
                                {b.qkv.Rows(d, d), bias ? ColumnSlice(b.qkv_bias, d, d) : Tensor{}, k},
                                {b.qkv.Rows(2 * d, d), bias ? ColumnSlice(b.qkv_bias, 2 * d, d) : Tensor{}, v}};
  backend_.MatMuls(normed, qkv_jobs);
  backend_.Rope(q, c.head_dim(), rope_);
  backend_.Rope(k, c.head_dim(), rope_);
  AttentionSpec spec;
  spec.num_q_heads = spec.num_kv_heads = c.num_heads;
  spec.head_dim = c.head_dim();
  spec.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim()));
  backend_.BidirectionalAttention(q, k, v, spec, attn);
  backend_.MatMul(attn, b.proj, Tensor{}, branch);
  backend_.Add(hidden, branch);

  SGL_ASSIGN_OR_RETURN(Tensor gate, ws_.Get(kGate, n, c.out_hidden_size));
  SGL_ASSIGN_OR_RETURN(Tensor up, ws_.Get(kUp, n, c.out_hidden_size));
  backend_.RmsNorm(hidden, b.norm2, c.rms_norm_eps, normed);
  const LinearJob mlp_jobs[] = {{b.gate, Tensor{}, gate}, {b.up, Tensor{}, up}};
  backend_.MatMuls(normed, mlp_jobs);
  backend_.GatedActivation(gate, up, Activation::kSilu, gate);
  backend_.MatMul(gate, b.down, Tensor{}, branch);
  backend_.Add(hidden, branch);
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
  SGL_ASSIGN_OR_RETURN(Tensor branch, ws_.Get(kBranch, n, c.hidden_size));
  backend_.Upload(patches.values.data(), pixels);
  backend_.MatMul(pixels, w_.patch_embed, w_.patch_embed_bias, hidden);
  backend_.RmsNorm(hidden, w_.post_conv_norm, c.rms_norm_eps, hidden);
  const int side = c.image_size / c.patch_size;
  const std::vector<float> pos_embed =
      InterpolatePositionEmbedding(position_table_, side, c.hidden_size, positions, grid.h, grid.w);
  backend_.Upload(pos_embed.data(), branch);
  backend_.Add(hidden, branch);
  for (const Block& block : w_.blocks) SGL_RETURN_IF_ERROR(RunBlock(block, hidden, n));
  backend_.RmsNorm(hidden, w_.post_norm, c.rms_norm_eps, hidden);

  const int64_t num_tokens = grid.num_merged_tokens(merge);
  SGL_ASSIGN_OR_RETURN(Tensor merged, ws_.Get(kMerged, num_tokens, c.out_hidden_size));
  SGL_RETURN_IF_ERROR(Merge(hidden, num_tokens, merged));
  std::vector<float> features(static_cast<size_t>(num_tokens) * c.out_hidden_size);
  SGL_RETURN_IF_ERROR(backend_.CopyToHost(merged, features.data()));
  return features;
}

}  // namespace sgl::multimodal
