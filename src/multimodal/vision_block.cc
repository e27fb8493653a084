#include "multimodal/vision_block.h"

#include <cmath>

namespace sgl::multimodal {
namespace {

enum WorkspaceId { kNormed, kQkv, kAttn, kBranch, kGate, kUp };
static_assert(kUp < kFirstFreeVisionWorkspaceId);

// Part [offset, offset + cols) of a fused bias, or no bias.
Tensor SliceOrNone(const Tensor& bias, int64_t offset, int64_t cols) {
  return bias.empty() ? Tensor{} : BiasSlice(bias, offset, cols);
}

}  // namespace

Result<VisionBlockWeights> LoadVisionBlock(const VisionWeights& weights, int block, const VisionBlockShape& shape,
                                           bool qkv_bias, bool other_biases) {
  const int64_t d = shape.hidden_size, inner = shape.mlp_size;
  const std::string p = fmt::format("blocks.{}.", block);
  VisionBlockWeights b;
  SGL_ASSIGN_OR_RETURN(b.norm1, weights.Get(p + "norm1.weight", 1, d));
  SGL_ASSIGN_OR_RETURN(b.norm2, weights.Get(p + "norm2.weight", 1, d));
  SGL_ASSIGN_OR_RETURN(b.qkv, weights.Get(p + "attn.qkv.weight", 3 * d, d));
  SGL_ASSIGN_OR_RETURN(b.proj, weights.Get(p + "attn.proj.weight", d, d));
  SGL_ASSIGN_OR_RETURN(b.gate, weights.Get(p + "mlp.gate_proj.weight", inner, d));
  SGL_ASSIGN_OR_RETURN(b.up, weights.Get(p + "mlp.up_proj.weight", inner, d));
  SGL_ASSIGN_OR_RETURN(b.down, weights.Get(p + "mlp.down_proj.weight", d, inner));
  if (qkv_bias) {
    SGL_ASSIGN_OR_RETURN(b.qkv_bias, weights.Get(p + "attn.qkv.bias", 1, 3 * d));
  }
  if (!other_biases) return b;
  SGL_ASSIGN_OR_RETURN(b.proj_bias, weights.Get(p + "attn.proj.bias", 1, d));
  SGL_ASSIGN_OR_RETURN(b.gate_bias, weights.Get(p + "mlp.gate_proj.bias", 1, inner));
  SGL_ASSIGN_OR_RETURN(b.up_bias, weights.Get(p + "mlp.up_proj.bias", 1, inner));
  SGL_ASSIGN_OR_RETURN(b.down_bias, weights.Get(p + "mlp.down_proj.bias", 1, d));
  return b;
}

Status RunVisionBlock(Backend& backend, Workspace& ws, const VisionBlockWeights& b, const VisionBlockShape& shape,
                      const RopeSpec& rope, Tensor hidden) {
  const int64_t n = hidden.rows, d = shape.hidden_size;
  SGL_ASSIGN_OR_RETURN(Tensor normed, ws.Get(kNormed, n, d));
  SGL_ASSIGN_OR_RETURN(Tensor qkv, ws.Get(kQkv, 3 * n, d));
  SGL_ASSIGN_OR_RETURN(Tensor attn, ws.Get(kAttn, n, d));
  SGL_ASSIGN_OR_RETURN(Tensor branch, ws.Get(kBranch, n, d));
  const Tensor q = qkv.Rows(0, n), k = qkv.Rows(n, n), v = qkv.Rows(2 * n, n);
  backend.RmsNorm(hidden, b.norm1, shape.norm_eps, normed);
  const LinearJob qkv_jobs[] = {{b.qkv.Rows(0, d), SliceOrNone(b.qkv_bias, 0, d), q},
                                {b.qkv.Rows(d, d), SliceOrNone(b.qkv_bias, d, d), k},
                                {b.qkv.Rows(2 * d, d), SliceOrNone(b.qkv_bias, 2 * d, d), v}};
  backend.MatMuls(normed, qkv_jobs);
  backend.Rope(q, shape.head_dim(), rope);
  backend.Rope(k, shape.head_dim(), rope);
  AttentionSpec spec;
  spec.num_q_heads = spec.num_kv_heads = shape.num_heads;
  spec.head_dim = shape.head_dim();
  spec.scale = 1.0f / std::sqrt(static_cast<float>(shape.head_dim()));
  backend.BidirectionalAttention(q, k, v, spec, attn);
  backend.MatMul(attn, b.proj, b.proj_bias, branch);
  backend.Add(hidden, branch);

  SGL_ASSIGN_OR_RETURN(Tensor gate, ws.Get(kGate, n, shape.mlp_size));
  SGL_ASSIGN_OR_RETURN(Tensor up, ws.Get(kUp, n, shape.mlp_size));
  backend.RmsNorm(hidden, b.norm2, shape.norm_eps, normed);
  const LinearJob mlp_jobs[] = {{b.gate, b.gate_bias, gate}, {b.up, b.up_bias, up}};
  backend.MatMuls(normed, mlp_jobs);
  backend.GatedActivation(gate, up, shape.act, gate);
  backend.MatMul(gate, b.down, b.down_bias, branch);
  backend.Add(hidden, branch);
  return Status::Ok();
}

}  // namespace sgl::multimodal
