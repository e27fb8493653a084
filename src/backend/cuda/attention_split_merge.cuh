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
// blocks wrote them. A warp per row finds the weights (a lane per split), then each
// thread sums its output elements over the splits.
__device__ inline void CombineSplits(const AttentionLaunch& a, const AttentionWorkItem& item, const BatchSequence& seq,
                              int kv_head) {
  __shared__ float weights[kAttentionRowsPerBlock][kMaxAttentionSplits];
  __shared__ float inv_den[kAttentionRowsPerBlock];
  const int D = a.head_dim;
  const int group = a.num_q_heads / a.num_kv_heads;
  const int num_rows = item.num_tokens * item.num_heads;
  const int num_splits = item.num_splits;
  const int64_t q_stride = static_cast<int64_t>(a.num_q_heads) * D;
  auto prow = [&](int s, int r) {
    return item.partial_base + (static_cast<int64_t>(s) * a.num_kv_heads + kv_head) * num_rows + r;
  };
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  for (int r = warp; r < num_rows; r += static_cast<int>(blockDim.x >> 5)) {
    const bool mine = lane < num_splits;
    const float m = mine ? __ldcg(a.partial_ml + prow(lane, r) * 2) : -FLT_MAX;
    const float l = mine ? __ldcg(a.partial_ml + prow(lane, r) * 2 + 1) : 0.0f;
    const float m_max = WarpMax(m);  // all lanes take part in the shuffles
    const float w = mine ? __expf(m - m_max) : 0.0f;
    const float den = WarpSum(w * l);
    if (mine) weights[r][lane] = w;
    if (lane == 0) inv_den[r] = den > 0.0f ? 1.0f / den : 0.0f;
  }
  __syncthreads();
  for (int idx = threadIdx.x; idx < num_rows * D; idx += blockDim.x) {
    const int r = idx / D, d = idx % D;
    float num = 0.0f;
#pragma unroll 4
    for (int s = 0; s < num_splits; ++s) num += weights[r][s] * __ldcg(a.partial_acc + prow(s, r) * D + d);
    const int64_t token = seq.token_begin + item.token_begin + r / item.num_heads;
    const int head = kv_head * group + item.head_begin + r % item.num_heads;
    a.out[token * q_stride + static_cast<int64_t>(head) * D + d] = FloatToBf16(num * inv_den[r]);
  }
}

// Called by every thread of a split block after it wrote its partial rows: the last block
// of (item, KV head) to get here merges them all (the counter is reset for the next
// launch, so graphs can replay this).
__device__ inline void MergeSplitsIfLast(const AttentionLaunch& a, const AttentionWorkItem& item,
                                         const BatchSequence& seq, int kv_head) {
  __shared__ bool is_last_split;
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) {
    int* counter = a.split_counters + static_cast<int64_t>(item.split_group) * a.num_kv_heads + kv_head;
    is_last_split = atomicAdd(counter, 1) == item.num_splits - 1;
    if (is_last_split) *counter = 0;
  }
  __syncthreads();
  if (!is_last_split) return;
  __threadfence();
  CombineSplits(a, item, seq, kv_head);
}

}  // namespace sgl::cuda
