// EncoderCache: hits refresh recency, the least recently used goes first, oversized rows
// are not kept, replaced entries are recounted, rows outlive eviction; invariants after
// every operation.
#include "multimodal/encoder_cache.h"

#include <gtest/gtest.h>

namespace sgl::multimodal {
namespace {

EncoderCache::Rows RowsOf(size_t num_floats, float value) {
  return std::make_shared<const std::vector<float>>(num_floats, value);
}

TEST(EncoderCacheTest, EvictsLeastRecentlyUsed) {
  EncoderCache cache(3 * 4 * sizeof(float));  // room for three 4-float entries
  const ImageHash a{0, 1}, b{0, 2}, c{0, 3}, d{0, 4};
  cache.Insert(a, RowsOf(4, 1));
  cache.Insert(b, RowsOf(4, 2));
  cache.Insert(c, RowsOf(4, 3));
  ASSERT_TRUE(cache.CheckInvariants().ok());
  ASSERT_NE(cache.Find(a), nullptr);  // a becomes the most recent; b is now the oldest
  const EncoderCache::Rows held_b = cache.Find(b);
  ASSERT_NE(cache.Find(a), nullptr);
  ASSERT_NE(cache.Find(c), nullptr);  // order now: c, a, b
  cache.Insert(d, RowsOf(4, 4));
  EXPECT_EQ(cache.Find(b), nullptr);
  EXPECT_EQ((*held_b)[0], 2.0f);  // the evicted rows stay valid for their holder
  EXPECT_NE(cache.Find(a), nullptr);
  EXPECT_NE(cache.Find(c), nullptr);
  EXPECT_NE(cache.Find(d), nullptr);
  EXPECT_EQ(cache.num_entries(), 3u);
  EXPECT_TRUE(cache.CheckInvariants().ok());
}

TEST(EncoderCacheTest, OversizedRowsAreNotKeptAndReplacementsAreRecounted) {
  EncoderCache cache(8 * sizeof(float));
  const ImageHash a{1, 1};
  cache.Insert(a, RowsOf(9, 0));
  EXPECT_EQ(cache.num_entries(), 0u);
  cache.Insert(a, RowsOf(2, 0));
  cache.Insert(a, RowsOf(6, 5));
  EXPECT_EQ(cache.size_bytes(), 6 * sizeof(float));
  EXPECT_EQ((*cache.Find(a))[0], 5.0f);
  EXPECT_TRUE(cache.CheckInvariants().ok());
}

}  // namespace
}  // namespace sgl::multimodal
