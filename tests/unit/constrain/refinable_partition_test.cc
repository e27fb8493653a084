#include "constrain/refinable_partition.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace sgl::constrain {
namespace {

std::vector<int32_t> Sorted(std::span<const int32_t> s) {
  std::vector<int32_t> v(s.begin(), s.end());
  std::sort(v.begin(), v.end());
  return v;
}

TEST(RefinablePartitionTest, StartsGroupedByKeyInKeyOrder) {
  std::vector<int32_t> keys{2, 0, 2, 0, 2};
  RefinablePartition p(keys, 3);
  ASSERT_EQ(p.num_sets(), 2);  // key 1 is unused
  EXPECT_EQ(Sorted(p.members(0)), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(Sorted(p.members(1)), (std::vector<int32_t>{0, 2, 4}));
  EXPECT_EQ(p.set_of(4), 1);
}

TEST(RefinablePartitionTest, SplitGivesTheSmallerPartTheNewId) {
  std::vector<int32_t> keys(6, 0);
  RefinablePartition p(keys, 1);
  p.Mark(4);
  p.Mark(4);  // twice is once
  p.Split();
  ASSERT_EQ(p.num_sets(), 2);
  EXPECT_EQ(Sorted(p.members(1)), (std::vector<int32_t>{4}));
  EXPECT_EQ(p.set_of(4), 1);
  for (int32_t e : {0, 1, 2, 3}) p.Mark(e);  // the marked part is larger this time
  p.Split();
  ASSERT_EQ(p.num_sets(), 3);
  EXPECT_EQ(Sorted(p.members(0)), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(Sorted(p.members(2)), (std::vector<int32_t>{5}));
  EXPECT_EQ(Sorted(p.members(1)), (std::vector<int32_t>{4}));
}

TEST(RefinablePartitionTest, AWhollyMarkedSetStaysWhole) {
  std::vector<int32_t> keys{0, 0, 1};
  RefinablePartition p(keys, 2);
  p.Mark(0);
  p.Mark(1);
  p.Mark(2);
  p.Split();
  EXPECT_EQ(p.num_sets(), 2);
  p.Mark(1);  // marks were cleared: this alone splits set 0
  p.Split();
  EXPECT_EQ(p.num_sets(), 3);
  EXPECT_EQ(Sorted(p.members(2)), (std::vector<int32_t>{1}));
}

}  // namespace
}  // namespace sgl::constrain
