#include "backend/late_token_masks.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "backend/forward_batch.h"

namespace sgl {
namespace {

// Tensor-parallel ranks share a batch: however many threads ask at once, the masks are
// filled once and every caller reads them filled.
TEST(LateTokenMasksTest, FilledOnceForConcurrentCallers) {
  std::atomic<int> fills{0};
  LateTokenMasks masks(5, [&](std::span<uint32_t> words) {
    ++fills;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // others arrive meanwhile
    for (size_t i = 0; i < words.size(); ++i) words[i] = static_cast<uint32_t>(i * 3 + 1);
  });
  EXPECT_EQ(masks.size(), 5u);
  EXPECT_EQ(fills.load(), 0) << "nothing is filled before it is asked for";
  std::vector<std::thread> ranks;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    ranks.emplace_back([&] {
      std::span<const uint32_t> got = masks.Get();
      for (size_t i = 0; i < got.size(); ++i) wrong += got[i] != i * 3 + 1;
    });
  for (std::thread& t : ranks) t.join();
  EXPECT_EQ(fills.load(), 1);
  EXPECT_EQ(wrong.load(), 0);
}

// A batch with late masks: its sampling rows are checked against their size, and its
// masks are the late ones.
TEST(LateTokenMasksTest, BatchReadsTheLateMasks) {
  ForwardBatch b;
  b.AddSequence({1}, {0}, true);
  b.sampling.push_back(RowSampling{.mask_begin = 0, .mask_words = 2});
  EXPECT_FALSE(b.SamplingWithinBounds()) << "no words yet";
  b.late_token_masks = std::make_shared<LateTokenMasks>(2, [](std::span<uint32_t> w) { w[0] = 5, w[1] = 7; });
  EXPECT_TRUE(b.SamplingWithinBounds());
  EXPECT_EQ(b.NumMaskWords(), 2);
  const uint32_t* masks = b.TokenMasks();
  EXPECT_EQ(masks[0], 5u);
  EXPECT_EQ(masks[1], 7u);
  b.sampling[0].mask_words = 3;
  EXPECT_FALSE(b.SamplingWithinBounds());
}

}  // namespace
}  // namespace sgl
