// The merge of split attention items, shared by the attention kernels: each split block
// writes its rows' unnormalized output with their running max and sum (partial_acc /
// partial_ml), and the last split block of an (item, KV head) to finish merges them into
// the output. Device code only.
#pragma once

#include <cfloat>

#include "backend/cuda/attention_kernel.h"
#include "backend/cuda/bf16_math.cuh"

namespace sgl::cuda {

// Merges the partial results of a split item's rows for one KV head: out = sum_s w_s acc_s
// / sum_s w_s l_s with w_s = exp(m_s - max_s m_s). Run by the item's last split block to
// finish, all threads of it; partials are read through L2 (__ldcg), where the other
// blocks wrote them. Each thread takes its output elements on its own and issues all the
// loads an element needs (every split's max, sum and value) before it uses any of them:
// one round trip to L2, where taking the splits a few at a time was four (the merge
// sits on the decode step's critical path).
// Element d of row r (of `rows`) of a split item's partial result for one KV head: its
// unnormalized value and, once a row (d == 0), the row's running max and sum (an empty
// split, den == 0, leaves the max at -FLT_MAX so that it weighs nothing).
__device__ __forceinline__ void StorePartial(const AttentionLaunch& a, const AttentionWorkItem& item, int kv_head,
                                             int rows, int r, int d, float num, float m_max, float den) {
  const int64_t prow = item.partial_base + (static_cast<int64_t>(item.split) * a.num_kv_heads + kv_head) * rows + r;
  a.partial_acc[prow * a.head_dim + d] = num;
  if (d == 0) {
    a.partial_ml[prow * 2] = den > 0.0f ? m_max : -FLT_MAX;
    a.partial_ml[prow * 2 + 1] = den;
  }
}

// One output value from the partial results of n splits (their running maxima m, sums l
// and unnormalized values v; entries from n on are ignored): sum_s w_s v_s / sum_s w_s l_s
// with w_s = exp(m_s - max m). Both merges below use it, so they give the same bits.
__device__ __forceinline__ float MergedValue(const float (&m)[kMaxAttentionSplits],
                                             const float (&l)[kMaxAttentionSplits],
                                             const float (&v)[kMaxAttentionSplits], int n) {
  float m_max = -FLT_MAX;
#pragma unroll
  for (int s = 0; s < kMaxAttentionSplits; ++s)
    if (s < n) m_max = fmaxf(m_max, m[s]);
  float num = 0.0f, den = 0.0f;
#pragma unroll
  for (int s = 0; s < kMaxAttentionSplits; ++s) {
    const float w = s < n ? __expf(m[s] - m_max) : 0.0f;
    num += w * v[s];
    den += w * l[s];
  }
  return den > 0.0f ? num / den : 0.0f;
}

__device__ inline void CombineSplits(const AttentionLaunch& a, const AttentionWorkItem& item, const BatchSequence& seq,
                                     int kv_head) {
  const int D = a.head_dim;
  const int group = a.num_q_heads / a.num_kv_heads;
  const int num_rows = item.num_tokens * item.num_heads;
  const int num_splits = item.num_splits;
  const int64_t q_stride = static_cast<int64_t>(a.num_q_heads) * D;
  for (int idx = threadIdx.x; idx < num_rows * D; idx += blockDim.x) {
    const int r = idx / D, d = idx % D;
    float m[kMaxAttentionSplits], l[kMaxAttentionSplits], v[kMaxAttentionSplits];
#pragma unroll
    for (int s = 0; s < kMaxAttentionSplits; ++s) {
      const int64_t prow = item.partial_base + (static_cast<int64_t>(s) * a.num_kv_heads + kv_head) * num_rows + r;
      const bool mine = s < num_splits;
      m[s] = mine ? __ldcg(a.partial_ml + prow * 2) : -FLT_MAX;
      l[s] = mine ? __ldcg(a.partial_ml + prow * 2 + 1) : 0.0f;
      v[s] = mine ? __ldcg(a.partial_acc + prow * D + d) : 0.0f;
    }
    const int64_t token = seq.token_begin + item.token_begin + r / item.num_heads;
    const int head = kv_head * group + item.head_begin + r % item.num_heads;
    a.out[token * q_stride + static_cast<int64_t>(head) * D + d] = FloatToBf16(MergedValue(m, l, v, num_splits));
  }
}

// Called by every thread of a split block after it wrote its partial rows: the last block
// of (item, KV head) to get here merges them all (the counter is reset for the next
// launch, so graphs can replay this). The block's writes are published by thread 0's
// release-acquire add once the block barrier has ordered them before it (no full fence).
__device__ inline void MergeSplitsIfLast(const AttentionLaunch& a, const AttentionWorkItem& item,
                                         const BatchSequence& seq, int kv_head) {
  __shared__ bool is_last_split;
  __syncthreads();
  if (threadIdx.x == 0) {
    int* counter = a.split_counters + static_cast<int64_t>(item.split_group) * a.num_kv_heads + kv_head;
    int before;
    asm volatile("atom.acq_rel.gpu.global.add.s32 %0, [%1], 1;" : "=r"(before) : "l"(counter) : "memory");
    is_last_split = before == item.num_splits - 1;
    if (is_last_split) *counter = 0;
  }
  __syncthreads();
  if (is_last_split) CombineSplits(a, item, seq, kv_head);
}

}  // namespace sgl::cuda
