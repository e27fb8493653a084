// GLM-4.1V's language model (transformers' Glm4vTextModel): GLM-4 decoder layers with
// sandwich norms (each branch normed again before its residual add), q/k/v biases, a
// fused gate/up projection, and partial M-RoPE over adjacent pairs. Image placeholder
// tokens take their embeddings from ForwardBatch::input_embeds (the vision tower's
// output); without axis_positions every M-RoPE axis uses the token position (text only).
#include "model/architectures.h"
#include "model/layers.h"

namespace sgl {
namespace {

enum WorkspaceId { kHidden = kFirstFreeWorkspaceId, kNormed, kBranch };

class Glm4vModel final : public RankModel {
 public:
  Glm4vModel(std::unique_ptr<ModelFiles> files, Backend& backend, const ModelShard& shard)
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
      SGL_ASSIGN_OR_RETURN(const Tensor gate_up,
                           LoadMatrix(f, backend_, p + "ffn_gate_up.weight", 2 * c.intermediate_size, c.hidden_size));
      layer.mlp.gate = gate_up.Rows(0, c.intermediate_size);
      layer.mlp.up = gate_up.Rows(c.intermediate_size, c.intermediate_size);
      SGL_ASSIGN_OR_RETURN(layer.mlp.down,
                           LoadMatrix(f, backend_, p + "ffn_down.weight", c.hidden_size, c.intermediate_size));
    }
    rope_.inv_freq = c.rope.InverseFrequencies();
    rope_.neox = c.rope.neox;
    rope_.axis_sections = c.rope.mrope_section;
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
    SGL_RETURN_IF_ERROR(ApplyInputEmbeds(batch, hidden));
    for (int l = 0; l < c.num_layers; ++l) {
      const Layer& layer = layers_[l];
      backend_.RmsNorm(hidden, layer.attn_norm, c.rms_norm_eps, normed);
      SGL_RETURN_IF_ERROR(SelfAttention(backend_, ws_, c, shard_, l, layer.attn, rope_, normed, branch));
      backend_.RmsNorm(branch, layer.post_attn_norm, c.rms_norm_eps, branch);
      backend_.AddRmsNorm(hidden, branch, layer.ffn_norm, c.rms_norm_eps, normed);
      SGL_RETURN_IF_ERROR(GatedMlp(backend_, ws_, c, shard_, layer.mlp, normed, branch));
      backend_.RmsNorm(branch, layer.post_ffn_norm, c.rms_norm_eps, branch);
      backend_.Add(hidden, branch);
    }
    return ComputeLogits(backend_, ws_, c, shard_, io_, hidden, batch, out);
  }

 private:
  struct Layer {
    Tensor attn_norm, post_attn_norm, ffn_norm, post_ffn_norm;
    AttentionWeights attn;
    MlpWeights mlp;
  };

  Status ApplyInputEmbeds(const ForwardBatch& batch, Tensor hidden) {
    const int64_t width = config().hidden_size;
    for (const InputEmbeds& e : batch.input_embeds) {
      const int64_t rows_available = e.rows ? static_cast<int64_t>(e.rows->size()) / width - e.first_row : 0;
      if (e.token_begin < 0 || e.num_tokens < 0 || e.token_begin + e.num_tokens > hidden.rows || e.first_row < 0 ||
          e.num_tokens > rows_available) {
        return InvalidArgument("input embeddings [{}, +{}) do not fit the batch or their rows", e.token_begin,
                               e.num_tokens);
      }
      backend_.Upload(e.rows->data() + e.first_row * width, hidden.Rows(e.token_begin, e.num_tokens));
    }
    return Status::Ok();
  }

  Workspace ws_;
  EmbeddingWeights io_;
  std::vector<Layer> layers_;
  RopeSpec rope_;
};

}  // namespace

Result<std::unique_ptr<Model>> LoadGlm4v(std::unique_ptr<ModelFiles> files, Backend& backend, const ModelShard& shard) {
  if (shard.split()) return Unsupported("{}: tensor parallelism is not supported for GLM-4.1V yet", files->path());
  return ConstructAndLoad<Glm4vModel>(std::move(files), backend, shard);
}

}  // namespace sgl
