// A tensor-core attention block's view of its tile item (AttentionTileItem: up to 64
// consecutive new tokens of one sequence, for one q head), shared by the mma.sync and
// WMMA prefill kernels: where its q rows, KV head and keys are, and the q tile loaded
// into shared memory. Device code only.
#pragma once

#include <cstdint>

#include "backend/cuda/attention_kernel.h"

namespace sgl::cuda {

struct TileItemView {
  AttentionTileItem item;
  BatchSequence seq;
  int head, kv_head;
  int64_t q_stride, kv_stride;  // elements per token of q / out and of the caches
  int32_t prefix;               // the sequence's cached tokens before its new ones
  int32_t key_begin, key_end;   // page-table entries the item's rows may see

  __device__ TileItemView(const AttentionLaunch& a, const AttentionTileItem& tile, int q_head, int head_dim)
      : item(tile), seq(a.sequences[tile.sequence]), head(q_head), kv_head(q_head / (a.num_q_heads / a.num_kv_heads)),
        q_stride(static_cast<int64_t>(a.num_q_heads) * head_dim), kv_stride(static_cast<int64_t>(a.num_kv_heads) * head_dim),
        prefix(seq.kv_len - seq.num_new_tokens), key_begin(0), key_end(seq.num_new_tokens) {
    if (!a.bidirectional)
      AttentionKeyRange(seq, item.token_begin, item.num_tokens, a.sliding_window, 0, 1, &key_begin, &key_end);
  }

  // Row r's q (or output) head: REQUIRES r < item.num_tokens.
  __device__ int64_t RowOffset(int r, int head_dim) const {
    return (seq.token_begin + item.token_begin + r) * q_stride + static_cast<int64_t>(head) * head_dim;
  }

  // The item's q rows into q_s (rows of `ld` bf16; rows past the item are zeros), by all
  // `num_threads` threads of the block. REQUIRES: head_dim % 8 == 0; a barrier follows.
  __device__ void LoadQueries(const uint16_t* q, int head_dim, int num_rows, uint16_t* q_s, int ld,
                              int num_threads) const {
    const int chunks = head_dim / 8;
    for (int idx = threadIdx.x; idx < num_rows * chunks; idx += num_threads) {
      const int r = idx / chunks, c = idx % chunks;
      uint4 v = make_uint4(0, 0, 0, 0);
      if (r < item.num_tokens) v = *reinterpret_cast<const uint4*>(q + RowOffset(r, head_dim) + c * 8);
      *reinterpret_cast<uint4*>(q_s + r * ld + c * 8) = v;
    }
  }
};

}  // namespace sgl::cuda
