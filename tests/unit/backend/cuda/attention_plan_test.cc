// PlanAttention: every (token, q head, key) the attention needs is covered exactly once,
// decodes are split only while the GPU would otherwise idle, and partial buffers are
// never overrun.
#include <gtest/gtest.h>

#include <map>
#include <numeric>

#include "backend/cuda/attention_plan.h"

namespace sgl::cuda {
namespace {

ForwardBatch MakeBatch(const std::vector<std::pair<int, int>>& seqs) {
  ForwardBatch b;
  int32_t slot = 0;
  for (auto [prefix, fresh] : seqs) {
    std::vector<int32_t> table(prefix + fresh);
    std::iota(table.begin(), table.end(), slot);
    slot += prefix + fresh;
    b.AddSequence(std::vector<int32_t>(fresh, 0), table, false);
  }
  return b;
}

// Counts, per (sequence, token, q head in group), the keys the plan's items cover.
void ExpectExactCover(const ForwardBatch& b, const AttentionPlanOptions& o, const AttentionPlan& plan) {
  std::map<std::tuple<int, int, int>, std::vector<int>> seen;
  for (const AttentionWorkItem& it : plan.items) {
    ASSERT_LE(it.num_tokens * it.num_heads, kAttentionRowsPerBlock);
    for (int t = it.token_begin; t < it.token_begin + it.num_tokens; ++t)
      for (int h = it.head_begin; h < it.head_begin + it.num_heads; ++h)
        for (int k = it.key_begin; k < it.key_end; ++k) seen[{it.sequence, t, h}].push_back(k);
  }
  for (size_t s = 0; s < b.sequences.size(); ++s) {
    const BatchSequence& seq = b.sequences[s];
    for (int t = 0; t < seq.num_new_tokens; ++t) {
      const int self = seq.kv_len - seq.num_new_tokens + t;
      const int first = o.sliding_window > 0 ? std::max(0, self - o.sliding_window + 1) : 0;
      for (int h = 0; h < o.group_size; ++h) {
        std::vector<int> keys = seen[{static_cast<int>(s), t, h}];
        std::sort(keys.begin(), keys.end());
        ASSERT_TRUE(std::adjacent_find(keys.begin(), keys.end()) == keys.end()) << "a key is covered twice";
        // Every visible key is covered (items may also cover keys the mask hides).
        for (int k = first; k <= self; ++k)
          ASSERT_TRUE(std::binary_search(keys.begin(), keys.end(), k)) << "seq " << s << " token " << t << " key " << k;
        ASSERT_TRUE(keys.empty() || keys.back() < seq.kv_len);
      }
    }
  }
}

TEST(AttentionPlanTest, SingleDecodeIsSplitToFillTheGpu) {
  const ForwardBatch b = MakeBatch({{4000, 1}});
  AttentionPlanOptions o{4, 8, 0, 264, 64, 4 * 132 * 32};
  const AttentionPlan plan = PlanAttention(b, o);
  EXPECT_EQ(plan.items.size(), static_cast<size_t>(kMaxAttentionSplits));  // 264 / 8 wanted, capped
  ASSERT_EQ(plan.split_groups.size(), 1u);
  EXPECT_EQ(plan.split_groups[0].num_splits, static_cast<int>(plan.items.size()));
  EXPECT_EQ(plan.uniform_splits, kMaxAttentionSplits);
  EXPECT_LE(plan.num_partial_rows, o.max_partial_rows);
  for (const AttentionWorkItem& it : plan.items)
    if (it.key_begin < it.key_end) {
      EXPECT_EQ((it.key_begin % 32), 0);
    }
  ExpectExactCover(b, o, plan);
}

// A cap on the splits (what lets a decode step's splits run as clusters that all fit at
// once) gives items split alike, consecutive, still covering every key once.
TEST(AttentionPlanTest, MaxSplitsCapsEveryItemAlike) {
  AttentionPlanOptions o{4, 8, 0, 264, 64, 4 * 132 * 32};
  o.stable_decode_splits = true;
  o.max_splits = 9;
  const ForwardBatch b = MakeBatch({{3000, 1}, {20, 1}});
  const AttentionPlan plan = PlanAttention(b, o);
  ASSERT_EQ(plan.items.size(), 18u);
  EXPECT_EQ(plan.uniform_splits, 9);
  for (size_t i = 0; i < plan.items.size(); ++i) {
    EXPECT_EQ(plan.items[i].num_splits, 9);
    EXPECT_EQ(plan.items[i].split, static_cast<int>(i % 9));
    EXPECT_EQ(plan.items[i].sequence, static_cast<int>(i / 9));
  }
  ExpectExactCover(b, o, plan);
  o.max_splits = 1;
  EXPECT_EQ(PlanAttention(b, o).uniform_splits, 0);  // no splits: nothing to merge
  // A prefill chunk's items are not split like the decode's: no uniform split count.
  o.max_splits = kMaxAttentionSplits;
  EXPECT_EQ(PlanAttention(MakeBatch({{3000, 1}, {0, 100}}), o).uniform_splits, 0);
}

TEST(AttentionPlanTest, StableDecodePlansDependOnlyOnTheBatchShape) {
  AttentionPlanOptions o{4, 8, 0, 264, 64, 4 * 132 * 32};
  o.stable_decode_splits = true;
  const AttentionPlan short_ctx = PlanAttention(MakeBatch({{5, 1}, {40, 1}}), o);
  const AttentionPlan long_ctx = PlanAttention(MakeBatch({{3000, 1}, {900, 1}}), o);
  ASSERT_EQ(short_ctx.items.size(), long_ctx.items.size());
  ASSERT_EQ(short_ctx.split_groups.size(), long_ctx.split_groups.size());
  for (size_t i = 0; i < short_ctx.items.size(); ++i) {
    EXPECT_EQ(short_ctx.items[i].split, long_ctx.items[i].split);
    EXPECT_EQ(short_ctx.items[i].num_splits, long_ctx.items[i].num_splits);
    EXPECT_EQ(short_ctx.items[i].partial_base, long_ctx.items[i].partial_base);
  }
  ExpectExactCover(MakeBatch({{5, 1}, {40, 1}}), o, short_ctx);
  ExpectExactCover(MakeBatch({{3000, 1}, {900, 1}}), o, long_ctx);
}

TEST(AttentionPlanTest, LongPrefillIsNotSplit) {
  const ForwardBatch b = MakeBatch({{0, 2048}});
  AttentionPlanOptions o{4, 8, 0, 264, 64, 4 * 132 * 32};
  const AttentionPlan plan = PlanAttention(b, o);
  EXPECT_TRUE(plan.split_groups.empty());
  EXPECT_EQ(plan.num_partial_rows, 0);
  EXPECT_EQ(plan.items.size(), 2048u / 8);
  ExpectExactCover(b, o, plan);
}

TEST(AttentionPlanTest, MixedBatchWindowAndSmallCapacity) {
  const ForwardBatch b = MakeBatch({{37, 29}, {0, 70}, {3000, 1}, {5, 3}, {800, 1}});
  for (int32_t window : {0, 100}) {
    for (int64_t capacity : {0, 64, 100000}) {
      AttentionPlanOptions o{6, 2, window, 264, 64, capacity};
      const AttentionPlan plan = PlanAttention(b, o);
      EXPECT_LE(plan.num_partial_rows, capacity);
      if (capacity == 0) {
        EXPECT_TRUE(plan.split_groups.empty());
      }
      ExpectExactCover(b, o, plan);
    }
  }
}

TEST(AttentionPlanTest, LongChunksBecomeTensorCoreTiles) {
  const ForwardBatch b = MakeBatch({{10, 150}, {300, 1}, {0, 15}, {7, 64}});
  AttentionPlanOptions o{4, 2, 0, 264, 64, 4 * 132 * 32};
  o.min_tensor_core_tokens = 16;
  const AttentionPlan plan = PlanAttention(b, o);
  std::map<int, std::vector<int>> tokens;  // sequence -> its tokens, from the tiles
  for (const AttentionTileItem& t : plan.tile_items) {
    ASSERT_LE(t.num_tokens, kAttentionTensorCoreRows);
    for (int i = t.token_begin; i < t.token_begin + t.num_tokens; ++i) tokens[t.sequence].push_back(i);
  }
  EXPECT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].size(), 150u);
  EXPECT_EQ(tokens[3].size(), 64u);
  for (auto& [seq, list] : tokens)
    for (size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i], static_cast<int>(i));
  for (const AttentionWorkItem& it : plan.items) EXPECT_TRUE(it.sequence == 1 || it.sequence == 2);
}

TEST(AttentionPlanTest, LargeGroupsAreCutIntoHeadRanges) {
  const ForwardBatch b = MakeBatch({{10, 3}});
  AttentionPlanOptions o{80, 1, 0, 1, 64, 0};
  const AttentionPlan plan = PlanAttention(b, o);
  ExpectExactCover(b, o, plan);
  EXPECT_EQ(plan.items.size(), 3u * 3u);  // 3 tokens x head ranges [0,32) [32,64) [64,80)
}

}  // namespace
}  // namespace sgl::cuda
