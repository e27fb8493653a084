#include "model/layers.h"

#include <algorithm>
#include <cmath>

#include "backend/row_sampling.h"

namespace sgl {
namespace {
enum WorkspaceId { kQ, kK, kV, kAttnOut, kGate, kUp, kLogitHidden, kLogits, kGatheredLogits, kSampled };

Result<Tensor> LoadRows(ModelFiles& files, Backend& backend, const std::string& name, int64_t rows, int64_t cols,
                        int64_t begin, int64_t count) {
  SGL_ASSIGN_OR_RETURN(Tensor host, files.MatrixRows(name, rows, cols, begin, count));
  return backend.PrepareWeight(host);
}

Result<Tensor> LoadCols(ModelFiles& files, Backend& backend, const std::string& name, int64_t rows, int64_t cols,
                        int64_t begin, int64_t count) {
  if (begin == 0 && count == cols) return LoadMatrix(files, backend, name, rows, cols);
  SGL_ASSIGN_OR_RETURN(Tensor host, files.MatrixCols(name, rows, cols, begin, count));
  return backend.PrepareWeight(host);
}

Result<Tensor> LoadBias(ModelFiles& files, Backend& backend, const std::string& name, int64_t size, int64_t begin,
                        int64_t count) {
  SGL_ASSIGN_OR_RETURN(Tensor host, files.VectorRange(name, size, begin, count));
  return backend.PrepareWeight(host);
}
}  // namespace

Result<Tensor> LoadMatrix(ModelFiles& files, Backend& backend, const std::string& name, int64_t rows, int64_t cols) {
  SGL_ASSIGN_OR_RETURN(Tensor host, files.Matrix(name, rows, cols));
  return backend.PrepareWeight(host);
}

Result<Tensor> LoadNorm(ModelFiles& files, Backend& backend, const std::string& name, int64_t size) {
  SGL_ASSIGN_OR_RETURN(Tensor host, files.Vector(name, size, /*is_norm=*/true));
  return backend.PrepareWeight(host);
}

Result<EmbeddingWeights> LoadEmbeddings(ModelFiles& files, Backend& backend, const ShardLayout& s) {
  const ModelConfig& c = files.config();
  EmbeddingWeights w;
  SGL_ASSIGN_OR_RETURN(w.embed,
                       LoadRows(files, backend, "token_embd.weight", c.vocab_size, c.hidden_size, s.vocab_begin, s.vocab_size));
  SGL_ASSIGN_OR_RETURN(w.final_norm, LoadNorm(files, backend, "output_norm.weight", c.hidden_size));
  if (c.tie_word_embeddings) {
    w.lm_head = w.embed;
  } else {
    SGL_ASSIGN_OR_RETURN(w.lm_head,
                         LoadRows(files, backend, "output.weight", c.vocab_size, c.hidden_size, s.vocab_begin, s.vocab_size));
  }
  return w;
}

Result<AttentionWeights> LoadAttention(ModelFiles& files, Backend& backend, const ShardLayout& s, int layer) {
  const ModelConfig& c = files.config();
  const std::string p = fmt::format("blk.{}.", layer);
  const int64_t q_width = static_cast<int64_t>(c.num_heads) * c.head_dim;
  const int64_t kv_width = static_cast<int64_t>(c.num_kv_heads) * c.head_dim;
  // This rank's q heads and KV heads, as row ranges [begin, begin + count) of q and k/v.
  const int64_t q_begin = int64_t{s.q_head_begin} * c.head_dim, q_count = int64_t{s.num_q_heads} * c.head_dim;
  const int64_t kv_begin = int64_t{s.kv_head_begin} * c.head_dim, kv_count = int64_t{s.num_kv_heads} * c.head_dim;
  AttentionWeights w;
  SGL_ASSIGN_OR_RETURN(w.q, LoadRows(files, backend, p + "attn_q.weight", q_width, c.hidden_size, q_begin, q_count));
  SGL_ASSIGN_OR_RETURN(w.k, LoadRows(files, backend, p + "attn_k.weight", kv_width, c.hidden_size, kv_begin, kv_count));
  SGL_ASSIGN_OR_RETURN(w.v, LoadRows(files, backend, p + "attn_v.weight", kv_width, c.hidden_size, kv_begin, kv_count));
  SGL_ASSIGN_OR_RETURN(w.o, LoadCols(files, backend, p + "attn_output.weight", c.hidden_size, q_width, q_begin, q_count));
  if (c.attention_bias) {
    SGL_ASSIGN_OR_RETURN(w.q_bias, LoadBias(files, backend, p + "attn_q.bias", q_width, q_begin, q_count));
    SGL_ASSIGN_OR_RETURN(w.k_bias, LoadBias(files, backend, p + "attn_k.bias", kv_width, kv_begin, kv_count));
    SGL_ASSIGN_OR_RETURN(w.v_bias, LoadBias(files, backend, p + "attn_v.bias", kv_width, kv_begin, kv_count));
  }
  if (c.qk_norm) {
    SGL_ASSIGN_OR_RETURN(w.q_norm, LoadNorm(files, backend, p + "attn_q_norm.weight", c.head_dim));
    SGL_ASSIGN_OR_RETURN(w.k_norm, LoadNorm(files, backend, p + "attn_k_norm.weight", c.head_dim));
  }
  return w;
}

Result<MlpWeights> LoadMlp(ModelFiles& files, Backend& backend, const ShardLayout& s, int layer) {
  const ModelConfig& c = files.config();
  const std::string p = fmt::format("blk.{}.", layer);
  const int64_t h = c.hidden_size, i = c.intermediate_size;
  MlpWeights w;
  SGL_ASSIGN_OR_RETURN(w.gate, LoadRows(files, backend, p + "ffn_gate.weight", i, h, s.intermediate_begin, s.intermediate_size));
  SGL_ASSIGN_OR_RETURN(w.up, LoadRows(files, backend, p + "ffn_up.weight", i, h, s.intermediate_begin, s.intermediate_size));
  SGL_ASSIGN_OR_RETURN(w.down, LoadCols(files, backend, p + "ffn_down.weight", h, i, s.intermediate_begin, s.intermediate_size));
  return w;
}

AttentionSpec AttentionSpecFor(const ModelConfig& c, const ShardLayout& s, int layer) {
  AttentionSpec spec;
  spec.num_q_heads = s.num_q_heads;
  spec.num_kv_heads = s.num_kv_heads;
  spec.head_dim = c.head_dim;
  spec.scale = c.attention_scale > 0 ? c.attention_scale : 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  spec.sliding_window = c.layer_is_sliding[layer] ? c.sliding_window : 0;
  spec.logit_softcap = c.attn_logit_softcap;
  return spec;
}

Status EmbedTokens(Backend& backend, const ModelConfig& c, const ModelShard& shard, const EmbeddingWeights& io,
                   Tensor out) {
  // Each rank fills the rows of tokens in its vocabulary range and zeros the rest.
  backend.Embed(io.embed, shard.layout.vocab_begin, c.embedding_scale, out);
  return shard.AllReduce(out);
}

Status ApplyInputEmbeds(Backend& backend, const ForwardBatch& batch, Tensor hidden) {
  const int64_t width = hidden.cols;
  for (const InputEmbeds& e : batch.input_embeds) {
    const int64_t rows_available = e.rows ? static_cast<int64_t>(e.rows->size()) / width - e.first_row : 0;
    if (e.token_begin < 0 || e.num_tokens < 0 || e.token_begin + e.num_tokens > hidden.rows || e.first_row < 0 ||
        e.num_tokens > rows_available) {
      return InvalidArgument("input embeddings [{}, +{}) do not fit the batch or their rows", e.token_begin,
                             e.num_tokens);
    }
    backend.Upload(e.rows->data() + e.first_row * width, hidden.Rows(e.token_begin, e.num_tokens));
  }
  return Status::Ok();
}

Status SelfAttention(Backend& backend, Workspace& ws, const ModelConfig& c, const ModelShard& shard, int layer,
                     const AttentionWeights& w, const RopeSpec& rope, const Tensor& x, Tensor out) {
  const int64_t n = x.rows;
  SGL_ASSIGN_OR_RETURN(Tensor q, ws.Get(kQ, n, w.q.rows));
  SGL_ASSIGN_OR_RETURN(Tensor k, ws.Get(kK, n, w.k.rows));
  SGL_ASSIGN_OR_RETURN(Tensor v, ws.Get(kV, n, w.v.rows));
  SGL_ASSIGN_OR_RETURN(Tensor attn, ws.Get(kAttnOut, n, w.q.rows));
  const LinearJob qkv[] = {{w.q, w.q_bias, q}, {w.k, w.k_bias, k}, {w.v, w.v_bias, v}};
  backend.MatMuls(x, qkv);
  if (c.qk_norm) {
    backend.RmsNorm(q, w.q_norm, c.rms_norm_eps, q);
    backend.RmsNorm(k, w.k_norm, c.rms_norm_eps, k);
  }
  backend.Rope(q, c.head_dim, rope);
  backend.Rope(k, c.head_dim, rope);
  backend.StoreKv(layer, k, v);
  backend.Attention(layer, q, AttentionSpecFor(c, shard.layout, layer), attn);
  backend.MatMul(attn, w.o, Tensor{}, out);
  return shard.AllReduce(out);
}

Status GatedMlp(Backend& backend, Workspace& ws, const ModelConfig& c, const ModelShard& shard, const MlpWeights& w,
                const Tensor& x, Tensor out) {
  SGL_ASSIGN_OR_RETURN(Tensor gate, ws.Get(kGate, x.rows, w.gate.rows));
  SGL_ASSIGN_OR_RETURN(Tensor up, ws.Get(kUp, x.rows, w.up.rows));
  backend.GatedMatMul(x, w.gate, w.up, c.hidden_act, up, gate);
  backend.MatMul(gate, w.down, Tensor{}, out);
  return shard.AllReduce(out);
}

Status ComputeLogits(Backend& backend, Workspace& ws, const ModelConfig& c, const ModelShard& shard,
                     const EmbeddingWeights& io, const Tensor& hidden, const ForwardBatch& batch, ForwardOutput* out) {
  const int64_t rows = static_cast<int64_t>(batch.logit_rows.size());
  const int64_t vocab = c.vocab_size;
  out->logits.resize(rows * vocab);
  out->tokens.resize(rows);
  if (rows == 0) return Status::Ok();
  SGL_ASSIGN_OR_RETURN(Tensor picked, ws.Get(kLogitHidden, rows, hidden.cols));
  SGL_ASSIGN_OR_RETURN(Tensor logits, ws.Get(kLogits, rows, shard.layout.vocab_size, DType::kF32));
  backend.GatherLogitRows(hidden, picked);
  backend.RmsNorm(picked, io.final_norm, c.rms_norm_eps, picked);
  backend.MatMul(picked, io.lm_head, Tensor{}, logits);
  if (shard.split()) {
    SGL_ASSIGN_OR_RETURN(Tensor all, ws.Get(kGatheredLogits, rows, vocab, DType::kF32));
    SGL_RETURN_IF_ERROR(shard.comm->AllGatherLastDim(logits, all));
    logits = all;
  }
  // A soft cap can round distinct logits to ties, so with one every row's token is drawn
  // on the host after capping, exactly as a sampler would see them.
  const bool softcap = c.final_logit_softcap > 0;
  if (!softcap) {
    SGL_ASSIGN_OR_RETURN(Tensor ids, ws.Get(kSampled, rows, 1, DType::kI32));
    backend.SampleRows(logits, ids);
    SGL_RETURN_IF_ERROR(backend.CopyToHost(ids, out->tokens.data()));
  }
  // Rows wanted on the host, copied a run of consecutive rows at a time.
  for (int64_t begin = 0; begin < rows;) {
    if (!softcap && !batch.WantsHostLogits(begin)) {
      ++begin;
      continue;
    }
    int64_t end = begin + 1;
    while (end < rows && (softcap || batch.WantsHostLogits(end))) ++end;
    SGL_RETURN_IF_ERROR(backend.CopyToHost(logits.Rows(begin, end - begin), out->logits.data() + begin * vocab));
    begin = end;
  }
  if (!softcap) return Status::Ok();
  for (float& v : out->logits) v = c.final_logit_softcap * std::tanh(v / c.final_logit_softcap);
  const uint32_t* masks = batch.TokenMasks();
  for (int64_t r = 0; r < rows; ++r)
    out->tokens[r] =
        SampleRowOnHost(out->logits.data() + r * vocab, vocab, batch.SamplingOf(r), batch.logit_edits.data(), masks);
  return Status::Ok();
}

}  // namespace sgl
