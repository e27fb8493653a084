// Qwen2.5-VL's language model (transformers' Qwen2_5_VLTextModel): the Qwen2 decoder, so
// the Llama family's layers with q/k/v biases, rotating with M-RoPE: rotate_half pairs whose
// frequencies [0, s0) take the temporal position, [s0, s0 + s1) the height and the rest the
// width (mrope_section [s0, s1, s2]; ForwardBatch::axis_positions, or the token position
// on every axis for text). Image placeholder rows come from ForwardBatch::input_embeds (the
// Qwen25VlVisionTower's output); the tower itself is loaded apart from the model.
#include "model/architectures.h"

namespace sgl {

Result<std::unique_ptr<Model>> LoadQwen25Vl(std::unique_ptr<ModelFiles> files, Backend& backend,
                                            const ModelShard& shard) {
  if (shard.split()) return Unsupported("{}: tensor parallelism is not supported for Qwen2.5-VL yet", files->path());
  const ModelConfig& c = files->config();
  if (c.rope.mrope_section.size() != 3 || !c.rope.neox || c.rope.rotary_dim != c.head_dim || !c.attention_bias) {
    return InvalidArgument("{}: Qwen2.5-VL needs three M-RoPE sections over whole heads and q/k/v biases",
                           files->path());
  }
  return LoadLlamaFamily(std::move(files), backend, shard);
}

}  // namespace sgl
