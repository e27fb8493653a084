// CpuBackend::Attention: causal (optionally sliding-window) attention of each new token
// over its sequence's KV history, read through the sequence's page table of KV slots.
// Work items are (sequence, KV head, block of consecutive new tokens); an item's rows are
// its tokens times the q heads sharing that KV head, so keys and values are read once
// per item (AttendRows). A decode (one new token) gives each q head its own item instead,
// so that the few items there are still spread evenly over the threads.
#include <algorithm>

#include "backend/cpu/attention_kernel.h"
#include "backend/cpu/cpu_backend.h"

namespace sgl {
namespace {

struct WorkItem {
  int32_t sequence;
  int32_t kv_head;
  int32_t token_begin;  // first new token of the block, as an index into the sequence's new tokens
  int32_t num_tokens;
  int32_t head_begin;  // q heads [head_begin, head_begin + num_heads) of the KV head's group
  int32_t num_heads;
};

}  // namespace

void CpuBackend::Attention(int layer, const Tensor& q, const AttentionSpec& spec, Tensor out) {
  const KvLayer& kv = kv_layers_[layer];
  const ForwardBatch& batch = *batch_;
  const int head_dim = spec.head_dim;
  const int group = spec.num_q_heads / spec.num_kv_heads;
  const int64_t kv_width = static_cast<int64_t>(spec.num_kv_heads) * head_dim;
  const int tokens_per_item = std::max(1, cpu::kMaxAttendRows / group);

  std::vector<WorkItem> items;
  for (size_t s = 0; s < batch.sequences.size(); ++s) {
    const int32_t num_new = batch.sequences[s].num_new_tokens;
    const int heads_per_item = num_new == 1 ? 1 : group;
    for (int h = 0; h < spec.num_kv_heads; ++h)
      for (int32_t t = 0; t < num_new; t += tokens_per_item)
        for (int g = 0; g < group; g += heads_per_item)
          items.push_back({static_cast<int32_t>(s), h, t, std::min(tokens_per_item, num_new - t), g, heads_per_item});
  }
  // Threads claim items one by one, costliest (most keys) first.
  auto num_keys_of = [&](const WorkItem& item) {
    const BatchSequence& seq = batch.sequences[item.sequence];
    return seq.kv_len - seq.num_new_tokens + item.token_begin + item.num_tokens;
  };
  std::stable_sort(items.begin(), items.end(),
                   [&](const WorkItem& x, const WorkItem& y) { return num_keys_of(x) > num_keys_of(y); });

  pool_.ParallelForDynamic(static_cast<int64_t>(items.size()), [&](int64_t w) {
    thread_local std::vector<const float*> keys, values;
    thread_local std::vector<float> scores;
    {
      const WorkItem& item = items[w];
      const BatchSequence& seq = batch.sequences[item.sequence];
      const int32_t* slots = batch.kv_slots.data() + seq.kv_begin;
      const int32_t prefix_len = seq.kv_len - seq.num_new_tokens;
      // Keys are gathered by page-table entry; this item's rows see at most [0, last token].
      const int32_t num_keys = num_keys_of(item);
      keys.resize(num_keys);
      values.resize(num_keys);
      for (int32_t j = 0; j < num_keys; ++j) {
        keys[j] = kv.k.get() + slots[j] * kv_width + item.kv_head * head_dim;
        values[j] = kv.v.get() + slots[j] * kv_width + item.kv_head * head_dim;
      }
      scores.resize(static_cast<size_t>(cpu::kMaxAttendRows) * num_keys);

      cpu::AttendArgs args;
      args.keys = keys.data();
      args.values = values.data();
      args.num_keys = num_keys;
      args.head_dim = head_dim;
      args.scale = spec.scale;
      args.softcap = spec.logit_softcap;
      args.scores = scores.data();
      for (int32_t i = 0; i < item.num_tokens; ++i) {
        const int64_t token = seq.token_begin + item.token_begin + i;
        const int32_t self = prefix_len + item.token_begin + i;  // its own page-table entry
        const int32_t first = spec.sliding_window > 0 ? std::max(0, self - spec.sliding_window + 1) : 0;
        for (int g = item.head_begin; g < item.head_begin + item.num_heads; ++g) {
          const int64_t head = static_cast<int64_t>(item.kv_head) * group + g;
          const int r = args.num_rows++;
          args.queries[r] = q.Rows(token, 1).As<float>() + head * head_dim;
          args.outputs[r] = out.Rows(token, 1).As<float>() + head * head_dim;
          args.first[r] = first;
          args.last[r] = self;
          if (args.num_rows == cpu::kMaxAttendRows) {
            cpu::AttendRows(args);
            args.num_rows = 0;
          }
        }
      }
      if (args.num_rows > 0) cpu::AttendRows(args);
    }
  });
}

}  // namespace sgl
