// The Llama family: pre-norm decoder layers of GQA self-attention and a SiLU-gated MLP.
// Covers Llama 2/3.x (incl. llama3 RoPE scaling), SmolLM2, Mistral, Qwen2/2.5 (biases on
// q/k/v) and Qwen3 (per-head RMS norm of q and k); ModelConfig carries the differences.
#include "model/architectures.h"
#include "model/layers.h"

namespace sgl {
namespace {

enum WorkspaceId { kHidden = kFirstFreeWorkspaceId, kNormed, kBranch };

class LlamaModel final : public RankModel {
 public:
  LlamaModel(std::unique_ptr<ModelFiles> files, Backend& backend, const ModelShard& shard)
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
      SGL_ASSIGN_OR_RETURN(layer.ffn_norm, LoadNorm(f, backend_, p + "ffn_norm.weight", c.hidden_size));
      SGL_ASSIGN_OR_RETURN(layer.attn, LoadAttention(f, backend_, shard_.layout, l));
      SGL_ASSIGN_OR_RETURN(layer.mlp, LoadMlp(f, backend_, shard_.layout, l));
    }
    rope_.inv_freq = c.rope.InverseFrequencies();
    rope_.neox = c.rope.neox;
    return Status::Ok();
  }

  Status Forward(const ForwardBatch& batch, ForwardOutput* out) override {
    const ModelConfig& c = config();
    const int64_t n = batch.num_tokens();
    SGL_RETURN_IF_ERROR(backend_.BeginForward(batch));
    SGL_ASSIGN_OR_RETURN(Tensor hidden, ws_.Get(kHidden, n, c.hidden_size));
    SGL_ASSIGN_OR_RETURN(Tensor normed, ws_.Get(kNormed, n, c.hidden_size));
    SGL_ASSIGN_OR_RETURN(Tensor branch, ws_.Get(kBranch, n, c.hidden_size));
    SGL_RETURN_IF_ERROR(EmbedTokens(backend_, c, shard_, io_, hidden));
    backend_.RmsNorm(hidden, layers_[0].attn_norm, c.rms_norm_eps, normed);
    for (int l = 0; l < c.num_layers; ++l) {
      const Layer& layer = layers_[l];
      SGL_RETURN_IF_ERROR(SelfAttention(backend_, ws_, c, shard_, l, layer.attn, rope_, normed, branch));
      backend_.AddRmsNorm(hidden, branch, layer.ffn_norm, c.rms_norm_eps, normed);
      SGL_RETURN_IF_ERROR(GatedMlp(backend_, ws_, c, shard_, layer.mlp, normed, branch));
      if (l + 1 < c.num_layers) {
        backend_.AddRmsNorm(hidden, branch, layers_[l + 1].attn_norm, c.rms_norm_eps, normed);
      } else {
        backend_.Add(hidden, branch);
      }
    }
    return ComputeLogits(backend_, ws_, c, shard_, io_, hidden, batch, out);
  }

 private:
  struct Layer {
    Tensor attn_norm, ffn_norm;
    AttentionWeights attn;
    MlpWeights mlp;
  };

  Workspace ws_;
  EmbeddingWeights io_;
  std::vector<Layer> layers_;
  RopeSpec rope_;
};

}  // namespace

Result<std::unique_ptr<Model>> LoadLlamaFamily(std::unique_ptr<ModelFiles> files, Backend& backend,
                                               const ModelShard& shard) {
  return ConstructAndLoad<LlamaModel>(std::move(files), backend, shard);
}

}  // namespace sgl
