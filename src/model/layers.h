// Building blocks shared by the architecture files: the weights of an attention block and
// a gated MLP, how to load them from ModelFiles, and their forward passes over Backend ops.
// Everything works on one rank's ModelShard: q/k/v, gate/up, the embedding and the LM head
// are split by rows (column-parallel), o and down by columns (row-parallel, their outputs
// all-reduced); with the whole model on one rank nothing is split or communicated.
// Scratch tensors come from the caller's Workspace (ids below kFirstFreeWorkspaceId are
// used here).
#pragma once

#include "backend/backend.h"
#include "model/model_config.h"
#include "model/model_files.h"
#include "model/model_shard.h"
#include "model/workspace.h"

namespace sgl {

constexpr int kFirstFreeWorkspaceId = 10;

struct AttentionWeights {
  Tensor q, k, v, o;
  Tensor q_bias, k_bias, v_bias;  // empty unless config.attention_bias
  Tensor q_norm, k_norm;          // empty unless config.qk_norm
};

// The token embedding, the final norm and the LM head (the embedding when tied); on a
// split model, the rank's vocabulary rows of the embedding and LM head.
struct EmbeddingWeights {
  Tensor embed, final_norm, lm_head;
};

struct MlpWeights {
  Tensor gate, up, down;
};

Result<Tensor> LoadMatrix(ModelFiles& files, Backend& backend, const std::string& name, int64_t rows, int64_t cols);
Result<Tensor> LoadNorm(ModelFiles& files, Backend& backend, const std::string& name, int64_t size);
Result<EmbeddingWeights> LoadEmbeddings(ModelFiles& files, Backend& backend, const ShardLayout& shard);
Result<AttentionWeights> LoadAttention(ModelFiles& files, Backend& backend, const ShardLayout& shard, int layer);
Result<MlpWeights> LoadMlp(ModelFiles& files, Backend& backend, const ShardLayout& shard, int layer);

// The AttentionSpec of layer `layer` (scale, window, softcap) from the config, over the
// shard's heads.
AttentionSpec AttentionSpecFor(const ModelConfig& config, const ShardLayout& shard, int layer);

// out = embedding rows of the batch's tokens * config.embedding_scale ([num_tokens, hidden]).
Status EmbedTokens(Backend& backend, const ModelConfig& config, const ModelShard& shard, const EmbeddingWeights& io,
                   Tensor out);

// out = o_proj(attention(rope(q_proj(x)), rope(k_proj(x)), v_proj(x))); stores this
// step's K/V in the cache. x and out are [num_tokens, hidden].
Status SelfAttention(Backend& backend, Workspace& ws, const ModelConfig& config, const ModelShard& shard, int layer,
                     const AttentionWeights& w, const RopeSpec& rope, const Tensor& x, Tensor out);

// out = down(act(gate(x)) * up(x)).
Status GatedMlp(Backend& backend, Workspace& ws, const ModelConfig& config, const ModelShard& shard,
                const MlpWeights& w, const Tensor& x, Tensor out);

// Final norm and LM head on the batch's logit rows of `hidden`: every row's argmax, and
// the logits of the rows the batch wants on the host (every rank gets all vocab_size
// columns).
Status ComputeLogits(Backend& backend, Workspace& ws, const ModelConfig& config, const ModelShard& shard,
                     const EmbeddingWeights& io, const Tensor& hidden, const ForwardBatch& batch, ForwardOutput* out);

}  // namespace sgl
