// CpuBackend::StoreKv's partner: causal attention over the paged KV cache.
// Work items are (new token, query head) pairs spread over the threads; each computes
// softmax(q.K / sqrt(d)) V over its sequence's KV slots [first visible, own position].
#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/vec_math.h"

namespace sgl {

void CpuBackend::Attention(int layer, const Tensor& q, const AttentionSpec& spec, Tensor out) {
  const KvLayer& kv = kv_layers_[layer];
  const int64_t head_dim = spec.head_dim;
  const int64_t kv_width = static_cast<int64_t>(spec.num_kv_heads) * head_dim;
  const int64_t group = spec.num_q_heads / spec.num_kv_heads;
  const ForwardBatch& batch = *batch_;

  // Map each new token to its sequence once.
  std::vector<int32_t> seq_of_token(batch.num_tokens());
  for (size_t s = 0; s < batch.sequences.size(); ++s) {
    const BatchSequence& seq = batch.sequences[s];
    std::fill_n(seq_of_token.begin() + seq.token_begin, seq.num_new_tokens, static_cast<int32_t>(s));
  }

  const int64_t num_items = batch.num_tokens() * spec.num_q_heads;
  pool_.ParallelFor(num_items, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scores;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t t = item / spec.num_q_heads;
      const int64_t h = item % spec.num_q_heads;
      const BatchSequence& seq = batch.sequences[seq_of_token[t]];
      const int32_t* slots = batch.kv_slots.data() + seq.kv_begin;
      // This token is entry `self` of its page table; it sees entries [first, self].
      const int64_t self = seq.kv_len - seq.num_new_tokens + (t - seq.token_begin);
      const int64_t first = spec.sliding_window > 0 ? std::max<int64_t>(0, self - spec.sliding_window + 1) : 0;
      const float* qh = q.Rows(t, 1).As<float>() + h * head_dim;
      const int64_t kv_offset = (h / group) * head_dim;

      scores.resize(self - first + 1);
      float max_score = -std::numeric_limits<float>::infinity();
      for (int64_t j = first; j <= self; ++j) {
        float s = cpu::DotF32(qh, kv.k.data() + slots[j] * kv_width + kv_offset, head_dim) * spec.scale;
        if (spec.logit_softcap > 0) s = spec.logit_softcap * std::tanh(s / spec.logit_softcap);
        scores[j - first] = s;
        max_score = std::max(max_score, s);
      }
      float denom = 0;
      for (float& s : scores) {
        s = std::exp(s - max_score);
        denom += s;
      }
      float* oh = out.Rows(t, 1).As<float>() + h * head_dim;
      std::fill_n(oh, head_dim, 0.0f);
      for (int64_t j = first; j <= self; ++j)
        cpu::AxpyF32(scores[j - first] / denom, kv.v.data() + slots[j] * kv_width + kv_offset, oh, head_dim);
    }
  });
}

}  // namespace sgl
