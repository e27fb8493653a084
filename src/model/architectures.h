// The factory of each architecture family; LoadModel picks one by ModelConfig::arch.
#pragma once

#include <memory>

#include "model/model.h"

namespace sgl {

// Builds an M (a RankModel with a constructor (files, backend, shard) and Status Load())
// and loads it.
template <typename M>
Result<std::unique_ptr<Model>> ConstructAndLoad(std::unique_ptr<ModelFiles> files, Backend& backend,
                                                const ModelShard& shard) {
  auto model = std::make_unique<M>(std::move(files), backend, shard);
  SGL_RETURN_IF_ERROR(model->Load());
  return std::unique_ptr<Model>(std::move(model));
}

// Llama 2/3.x, SmolLM2, Mistral, Qwen2/2.5 (QKV bias), Qwen3 (q/k norm).
Result<std::unique_ptr<Model>> LoadLlamaFamily(std::unique_ptr<ModelFiles> files, Backend& backend,
                                               const ModelShard& shard);
// Gemma 3 text decoder (sandwich norms, local/global attention, scaled embeddings).
Result<std::unique_ptr<Model>> LoadGemma3(std::unique_ptr<ModelFiles> files, Backend& backend, const ModelShard& shard);
// GLM-4.1V's language model (sandwich norms, fused gate/up, partial M-RoPE); image
// embeddings come in through ForwardBatch::input_embeds. Not split across ranks yet.
Result<std::unique_ptr<Model>> LoadGlm4v(std::unique_ptr<ModelFiles> files, Backend& backend, const ModelShard& shard);
// Qwen2.5-VL's language model: the Qwen2 decoder (the Llama family with q/k/v biases)
// with M-RoPE sections over rotate_half pairs; image embeddings come in through
// ForwardBatch::input_embeds.
Result<std::unique_ptr<Model>> LoadQwen25Vl(std::unique_ptr<ModelFiles> files, Backend& backend,
                                            const ModelShard& shard);

}  // namespace sgl
