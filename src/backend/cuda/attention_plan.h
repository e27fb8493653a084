// AttentionPlan: how one step's attention is cut into thread blocks, computed on the host
// from the ForwardBatch. A work item is (sequence, a block of its new tokens, a group of
// the q heads sharing one KV head, a range of its page-table entries); each becomes one
// block per KV head. When there are too few items to fill the GPU (decode), each item's
// keys are split into ranges whose partial softmax results a combine pass merges
// (flash-decoding). Pure host code: no CUDA here, so it is tested without a GPU.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/forward_batch.h"

namespace sgl::cuda {

#ifdef __CUDACC__
#define SGL_HOST_DEVICE __host__ __device__
#else
#define SGL_HOST_DEVICE
#endif

// Rows (token x q head pairs) one block attends; a kernel constant.
constexpr int kAttentionRowsPerBlock = 32;
// Most key ranges one item is split into (the merge reads them all).
constexpr int kMaxAttentionSplits = 16;
// Splits start on multiples of the kernel's key tile.
constexpr int32_t kAttentionKeyTile = 32;

// Plain data shared with the device (keep the layout in step with attention_kernel.cu).
struct AttentionWorkItem {
  int32_t sequence;
  int32_t token_begin;  // first new token of the item, counted within the sequence's new tokens
  int32_t num_tokens;
  int32_t head_begin;  // q heads [head_begin, head_begin + num_heads) of each KV head's group
  int32_t num_heads;
  int32_t key_begin;  // page-table entries [key_begin, key_end) this item reads at plan time
  int32_t key_end;    // (AttentionKeyRange; the kernel recomputes them from the sequence)
  int32_t split;         // index of this key range among its item's splits
  int32_t num_splits;    // 1: the item writes the output directly
  int32_t partial_base;  // with splits: first partial row of the item's group (see below)
  int32_t split_group;   // with splits: its index in split_groups
};

// A split item's rows are merged by its last block to finish, per (group, KV head). Partial row of
// (split s, KV head h, item row r) = partial_base + (s * num_kv_heads + h) * rows + r,
// with rows = num_tokens * num_heads.
struct AttentionSplitGroup {
  int32_t item;  // its first split's index in items
  int32_t num_splits;
};

// The page-table entries [*begin, *end) that tokens [first_token, first_token + num_tokens)
// of a sequence may see, narrowed to split `split` of `num_splits` (equal ranges rounded
// up to whole key tiles; trailing splits may be empty). The planner and the kernel both
// use this, so the kernel needs no per-step key ranges (and a decode plan stays the same
// from step to step, as CUDA graph replay needs).
SGL_HOST_DEVICE inline void AttentionKeyRange(const BatchSequence& seq, int32_t first_token, int32_t num_tokens,
                                              int32_t window, int32_t split, int32_t num_splits, int32_t* begin,
                                              int32_t* end) {
  const int32_t first_self = seq.kv_len - seq.num_new_tokens + first_token;
  const int32_t all_end = first_self + num_tokens;
  const int32_t all_begin = window > 0 && first_self - window + 1 > 0 ? first_self - window + 1 : 0;
  const int32_t per_split = (all_end - all_begin + num_splits - 1) / num_splits;
  const int32_t step = (per_split + kAttentionKeyTile - 1) / kAttentionKeyTile * kAttentionKeyTile;
  const int32_t b = all_begin + split * step;
  *begin = b < all_end ? b : all_end;
  *end = b + step < all_end ? b + step : all_end;
}

// A tile of up to kAttentionTensorCoreRows consecutive new tokens of one sequence,
// attended by the tensor-core kernel (one block per tile and q head).
constexpr int kAttentionTensorCoreRows = 64;
struct AttentionTileItem {
  int32_t sequence;
  int32_t token_begin;  // counted within the sequence's new tokens
  int32_t num_tokens;
};

struct AttentionPlanOptions {
  int group_size = 1;        // q heads per KV head
  int num_kv_heads = 1;
  int32_t sliding_window = 0;  // > 0: keys before self - window + 1 are never read
  int target_blocks = 264;     // split until about this many blocks run
  int min_keys_per_split = 64;
  int64_t max_partial_rows = 0;  // capacity of the partial buffers (rows of head_dim floats)
  // When every sequence is a decode, choose split counts from the batch's shape alone (not
  // its lengths), so consecutive decode steps share one plan.
  bool stable_decode_splits = false;
  // Sequences with at least this many new tokens go to the tensor-core kernel as
  // AttentionTileItems (0: none do).
  int32_t min_tensor_core_tokens = 0;
  int max_splits = kMaxAttentionSplits;  // at most this many splits an item (1 to kMaxAttentionSplits)
};

struct AttentionPlan {
  std::vector<AttentionWorkItem> items;
  std::vector<AttentionSplitGroup> split_groups;
  std::vector<AttentionTileItem> tile_items;
  int64_t num_partial_rows = 0;
  // S > 1 when every item is one of S splits of its item (a decode step's, as a rule): the
  // splits of an item are then consecutive, items [g * S, (g + 1) * S), and can run as one
  // thread block cluster. 0 otherwise.
  int32_t uniform_splits = 0;
};

AttentionPlan PlanAttention(const ForwardBatch& batch, const AttentionPlanOptions& options);

}  // namespace sgl::cuda
