// VisionBlock: one pre-norm transformer block of the Qwen2-VL family's vision towers
// (GLM-4.1V, Qwen2.5-VL) over Backend ops:
//   x += proj(attention(rope(q), rope(k), v)),  q/k/v = qkv(RmsNorm(x))
//   x += down(act(gate(h)) * up(h)),            h = RmsNorm(x)
// with full attention within each sequence of the batch last given to BeginForward (a
// whole frame, or one window). Biases are optional. Stateless functions; the caller's
// Workspace supplies scratch ids [0, kFirstFreeVisionWorkspaceId).
#pragma once

#include "backend/backend.h"
#include "model/workspace.h"
#include "multimodal/vision_weights.h"

namespace sgl::multimodal {

constexpr int kFirstFreeVisionWorkspaceId = 6;

struct VisionBlockShape {
  int hidden_size = 0;
  int num_heads = 0;
  int mlp_size = 0;  // width of gate/up
  float norm_eps = 1e-6f;
  Activation act = Activation::kSilu;

  int head_dim() const { return hidden_size / num_heads; }
};

// Empty bias tensors mean no bias.
struct VisionBlockWeights {
  Tensor norm1, norm2, qkv, qkv_bias, proj, proj_bias, gate, gate_bias, up, up_bias, down, down_bias;
};

// Block `block`'s tensors under "blocks.<block>." (norm1/2, attn.qkv/proj, mlp.gate_proj/
// up_proj/down_proj); `qkv_bias` and `other_biases` say which biases the checkpoint has.
Result<VisionBlockWeights> LoadVisionBlock(const VisionWeights& weights, int block, const VisionBlockShape& shape,
                                           bool qkv_bias, bool other_biases);

// Runs the block on `hidden` ([num_patches, hidden_size]) in place.
Status RunVisionBlock(Backend& backend, Workspace& ws, const VisionBlockWeights& w, const VisionBlockShape& shape,
                      const RopeSpec& rope, Tensor hidden);

}  // namespace sgl::multimodal
