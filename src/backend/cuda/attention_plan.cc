#include "backend/cuda/attention_plan.h"

#include <algorithm>

namespace sgl::cuda {

AttentionPlan PlanAttention(const ForwardBatch& batch, const AttentionPlanOptions& o) {
  AttentionPlan plan;
  const int heads_per_item = std::min(o.group_size, kAttentionRowsPerBlock);
  const int tokens_per_item = std::max(1, kAttentionRowsPerBlock / heads_per_item);
  std::vector<AttentionWorkItem> base;
  for (size_t s = 0; s < batch.sequences.size(); ++s) {
    const BatchSequence& seq = batch.sequences[s];
    if (o.min_tensor_core_tokens > 0 && seq.num_new_tokens >= o.min_tensor_core_tokens) {
      for (int32_t t = 0; t < seq.num_new_tokens; t += kAttentionTensorCoreRows)
        plan.tile_items.push_back({static_cast<int32_t>(s), t, std::min(kAttentionTensorCoreRows, seq.num_new_tokens - t)});
      continue;
    }
    for (int32_t t = 0; t < seq.num_new_tokens; t += tokens_per_item) {
      for (int h = 0; h < o.group_size; h += heads_per_item) {
        AttentionWorkItem item{};
        item.sequence = static_cast<int32_t>(s);
        item.token_begin = t;
        item.num_tokens = std::min(tokens_per_item, seq.num_new_tokens - t);
        item.head_begin = h;
        item.num_heads = std::min(heads_per_item, o.group_size - h);
        AttentionKeyRange(seq, t, item.num_tokens, o.sliding_window, 0, 1, &item.key_begin, &item.key_end);
        item.split = 0;
        item.num_splits = 1;
        base.push_back(item);
      }
    }
  }
  bool all_decode = true;
  for (const BatchSequence& seq : batch.sequences) all_decode = all_decode && seq.num_new_tokens == 1;
  const bool stable = o.stable_decode_splits && all_decode;
  const int64_t base_blocks = static_cast<int64_t>(base.size()) * o.num_kv_heads;
  const int64_t wanted_splits = base_blocks == 0 ? 1 : (o.target_blocks + base_blocks - 1) / base_blocks;
  for (const AttentionWorkItem& item : base) {
    const int32_t num_keys = item.key_end - item.key_begin;
    const int64_t rows = static_cast<int64_t>(item.num_tokens) * item.num_heads * o.num_kv_heads;
    int64_t splits = std::min<int64_t>(wanted_splits, std::clamp(o.max_splits, 1, kMaxAttentionSplits));
    if (!stable) splits = std::min<int64_t>(splits, (num_keys + o.min_keys_per_split - 1) / o.min_keys_per_split);
    splits = std::min<int64_t>(splits, (o.max_partial_rows - plan.num_partial_rows) / rows);
    if (splits <= 1) {
      plan.items.push_back(item);
      continue;
    }
    const int32_t num_splits = static_cast<int32_t>(splits);
    const BatchSequence& seq = batch.sequences[item.sequence];
    plan.split_groups.push_back({static_cast<int32_t>(plan.items.size()), num_splits});
    for (int32_t s = 0; s < num_splits; ++s) {
      AttentionWorkItem part = item;
      AttentionKeyRange(seq, item.token_begin, item.num_tokens, o.sliding_window, s, num_splits, &part.key_begin,
                        &part.key_end);
      part.split = s;
      part.num_splits = num_splits;
      part.partial_base = static_cast<int32_t>(plan.num_partial_rows);
      part.split_group = static_cast<int32_t>(plan.split_groups.size()) - 1;
      plan.items.push_back(part);
    }
    plan.num_partial_rows += rows * num_splits;
  }
  const int32_t first_splits = plan.items.empty() ? 0 : plan.items[0].num_splits;
  const bool uniform = std::all_of(plan.items.begin(), plan.items.end(),
                                   [&](const AttentionWorkItem& item) { return item.num_splits == first_splits; });
  if (uniform && first_splits > 1 && plan.tile_items.empty()) plan.uniform_splits = first_splits;
  return plan;
}

}  // namespace sgl::cuda
