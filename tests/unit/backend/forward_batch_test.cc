// ForwardBatch: AddSequence lays out a sequence's new tokens, page table and logits row,
// and Clear empties every field so that a reused batch (the scheduler keeps one per step
// in flight) starts as a new one would, with its buffers' capacity kept.
#include "backend/forward_batch.h"

#include <gtest/gtest.h>

#include "backend/late_token_masks.h"

namespace sgl {
namespace {

TEST(ForwardBatchTest, AddSequencePlacesTokensSlotsAndTheLogitsRow) {
  ForwardBatch b;
  b.AddSequence({7, 8}, {40, 41, 42, 43}, true);  // 2 cached, 2 new
  b.AddSequence({9}, {50}, false);
  EXPECT_EQ(b.input_ids, (std::vector<int32_t>{7, 8, 9}));
  EXPECT_EQ(b.positions, (std::vector<int32_t>{2, 3, 0}));
  EXPECT_EQ(b.out_kv_slots, (std::vector<int32_t>{42, 43, 50}));
  EXPECT_EQ(b.kv_slots, (std::vector<int32_t>{40, 41, 42, 43, 50}));
  ASSERT_EQ(b.sequences.size(), 2u);
  EXPECT_EQ(b.sequences[1].token_begin, 2);
  EXPECT_EQ(b.sequences[1].kv_begin, 4);
  EXPECT_EQ(b.logit_rows, (std::vector<int32_t>{1}));
}

TEST(ForwardBatchTest, ClearEmptiesEveryFieldAndKeepsCapacity) {
  ForwardBatch b;
  b.AddSequence({1, 2, 3}, {10, 11, 12}, true);
  b.axis_positions = {{0, 1, 2}, {0, 1, 2}};
  b.input_embeds.push_back({0, 1, 0, nullptr});
  b.host_logit_rows = {1};
  b.sampling = {RowSampling{}};
  b.logit_edits.push_back(LogitEdit{});
  b.token_masks = {0xffffffffu};
  b.late_token_masks = std::make_shared<LateTokenMasks>(1, [](std::span<uint32_t>) {});
  const size_t kv_capacity = b.kv_slots.capacity();

  b.Clear();
  EXPECT_TRUE(b.input_ids.empty());
  EXPECT_TRUE(b.positions.empty());
  EXPECT_TRUE(b.out_kv_slots.empty());
  EXPECT_TRUE(b.kv_slots.empty());
  EXPECT_TRUE(b.sequences.empty());
  EXPECT_TRUE(b.logit_rows.empty());
  EXPECT_TRUE(b.axis_positions.empty());
  EXPECT_TRUE(b.input_embeds.empty());
  EXPECT_TRUE(b.host_logit_rows.empty());
  EXPECT_TRUE(b.sampling.empty());
  EXPECT_TRUE(b.logit_edits.empty());
  EXPECT_TRUE(b.token_masks.empty());
  EXPECT_EQ(b.late_token_masks, nullptr);
  EXPECT_EQ(b.kv_slots.capacity(), kv_capacity);
  EXPECT_EQ(b.num_tokens(), 0);
}

}  // namespace
}  // namespace sgl
