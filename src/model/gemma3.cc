// Gemma 3 (text): like Llama but with "sandwich" norms (a norm before and after both the
// attention and the MLP), q/k norms, GELU-tanh gating, embeddings scaled by sqrt(hidden),
// and interleaved local (sliding-window, RoPE base 10k) and global attention layers.
#include "model/architectures.h"
#include "model/layers.h"

namespace sgl {
namespace {

enum WorkspaceId { kHidden = kFirstFreeWorkspaceId, kNormed, kBranch };

class Gemma3Model final : public RankModel {
 public:
  Gemma3Model(std::unique_ptr<ModelFiles> files, Backend& backend, const ModelShard& shard)
      : RankModel(std::move(files), backend, shard), ws_(backend) {}

  Status Load() {
    const ModelConfig& c = config();
    ModelFiles& f = *files_;
    SGL_ASSIGN_OR_RETURN(io_, LoadEmbeddings(f, backend_, shard_.layout));
    layers_.resize(c.num_layers);
    for (int l = 0; l < c.num_layers; ++l) {
      Layer& layer = layers_[l];
      const std::string p = fmt::format("blk.{}.", l);
      SGL_ASSIGN_OR_RETURN(layer.attn_norm, LoadNorm(f, backend_, p + "attn_norm.weight", c.hidden_size));
      SGL_ASSIGN_OR_RETURN(layer.post_attn_norm, LoadNorm(f, backend_, p + "post_attention_norm.weight", c.hidden_size));
      SGL_ASSIGN_OR_RETURN(layer.ffn_norm, LoadNorm(f, backend_, p + "ffn_norm.weight", c.hidden_size));
      SGL_ASSIGN_OR_RETURN(layer.post_ffn_norm, LoadNorm(f, backend_, p + "post_ffw_norm.weight", c.hidden_size));
      SGL_ASSIGN_OR_RETURN(layer.attn, LoadAttention(f, backend_, shard_.layout, l));
      SGL_ASSIGN_OR_RETURN(layer.mlp, LoadMlp(f, backend_, shard_.layout, l));
    }
    rope_global_ = {c.rope.InverseFrequencies(), c.rope.neox};
    rope_local_ = {c.rope_local.InverseFrequencies(), c.rope_local.neox};
    return Status::Ok();
  }

  Status Forward(const ForwardBatch& batch, ForwardOutput* out) override {
    const ModelConfig& c = config();
    const float eps = c.rms_norm_eps;
    const int64_t n = batch.num_tokens();
    SGL_RETURN_IF_ERROR(backend_.BeginForward(batch));
    SGL_ASSIGN_OR_RETURN(Tensor hidden, ws_.Get(kHidden, n, c.hidden_size));
    SGL_ASSIGN_OR_RETURN(Tensor normed, ws_.Get(kNormed, n, c.hidden_size));
    SGL_ASSIGN_OR_RETURN(Tensor branch, ws_.Get(kBranch, n, c.hidden_size));
    SGL_RETURN_IF_ERROR(EmbedTokens(backend_, c, shard_, io_, hidden));
    backend_.RmsNorm(hidden, layers_[0].attn_norm, eps, normed);
    for (int l = 0; l < c.num_layers; ++l) {
      const Layer& layer = layers_[l];
      const RopeSpec& rope = c.layer_is_sliding[l] ? rope_local_ : rope_global_;
      SGL_RETURN_IF_ERROR(SelfAttention(backend_, ws_, c, shard_, l, layer.attn, rope, normed, branch));
      backend_.RmsNorm(branch, layer.post_attn_norm, eps, branch);
      backend_.AddRmsNorm(hidden, branch, layer.ffn_norm, eps, normed);
      SGL_RETURN_IF_ERROR(GatedMlp(backend_, ws_, c, shard_, layer.mlp, normed, branch));
      backend_.RmsNorm(branch, layer.post_ffn_norm, eps, branch);
      if (l + 1 < c.num_layers) {
        backend_.AddRmsNorm(hidden, branch, layers_[l + 1].attn_norm, eps, normed);
      } else {
        backend_.Add(hidden, branch);
      }
    }
    return ComputeLogits(backend_, ws_, c, shard_, io_, hidden, batch, out);
  }

 private:
  struct Layer {
    Tensor attn_norm, post_attn_norm, ffn_norm, post_ffn_norm;
    AttentionWeights attn;
    MlpWeights mlp;
  };

  Workspace ws_;
  EmbeddingWeights io_;
  std::vector<Layer> layers_;
  RopeSpec rope_global_, rope_local_;
};

}  // namespace

Result<std::unique_ptr<Model>> LoadGemma3(std::unique_ptr<ModelFiles> files, Backend& backend, const ModelShard& shard) {
  return ConstructAndLoad<Gemma3Model>(std::move(files), backend, shard);
}

}  // namespace sgl
