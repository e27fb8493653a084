// Building blocks shared by the architecture files: the weights of an attention block and
// a gated MLP, how to load them from ModelFiles, and their forward passes over Backend ops.
// Scratch tensors come from the caller's Workspace (ids below kFirstFreeWorkspaceId are
// used here).
#pragma once

#include "backend/backend.h"
#include "model/model_config.h"
#include "model/model_files.h"
#include "model/workspace.h"

namespace sgl {

constexpr int kFirstFreeWorkspaceId = 8;

struct AttentionWeights {
  Tensor q, k, v, o;
  Tensor q_bias, k_bias, v_bias;  // empty unless config.attention_bias
  Tensor q_norm, k_norm;          // empty unless config.qk_norm
};

// The token embedding, the final norm and the LM head (the embedding when tied).
struct EmbeddingWeights {
  Tensor embed, final_norm, lm_head;
};

struct MlpWeights {
  Tensor gate, up, down;
};

Result<Tensor> LoadMatrix(ModelFiles& files, Backend& backend, const std::string& name, int64_t rows, int64_t cols);
Result<Tensor> LoadNorm(ModelFiles& files, Backend& backend, const std::string& name, int64_t size);
Result<EmbeddingWeights> LoadEmbeddings(ModelFiles& files, Backend& backend);
Result<AttentionWeights> LoadAttention(ModelFiles& files, Backend& backend, int layer);
Result<MlpWeights> LoadMlp(ModelFiles& files, Backend& backend, int layer);

// The AttentionSpec of layer `layer` (scale, window, softcap) from the config.
AttentionSpec AttentionSpecFor(const ModelConfig& config, int layer);

// out = o_proj(attention(rope(q_proj(x)), rope(k_proj(x)), v_proj(x))); stores this
// step's K/V in the cache. x and out are [num_tokens, hidden].
Status SelfAttention(Backend& backend, Workspace& ws, const ModelConfig& config, int layer,
                     const AttentionWeights& w, const RopeSpec& rope, const Tensor& x, Tensor out);

// out = down(act(gate(x)) * up(x)).
Status GatedMlp(Backend& backend, Workspace& ws, const ModelConfig& config, const MlpWeights& w, const Tensor& x,
                Tensor out);

// Final norm and LM head on the batch's logit rows of `hidden`, copied to host.
Status ComputeLogits(Backend& backend, Workspace& ws, const ModelConfig& config, const EmbeddingWeights& io,
                     const Tensor& hidden, size_t num_logit_rows, std::vector<float>* logits);

}  // namespace sgl
