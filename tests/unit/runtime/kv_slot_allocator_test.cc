#include "runtime/kv_slot_allocator.h"

#include <random>
#include <set>

#include <gtest/gtest.h>

namespace sgl {
namespace {

TEST(KvSlotAllocatorTest, PageSizeOneHandsOutDistinctSlots) {
  KvSlotAllocator alloc(8, 1);
  std::vector<int32_t> a, b;
  ASSERT_TRUE(alloc.Allocate(5, a).ok());
  ASSERT_TRUE(alloc.Allocate(3, b).ok());
  std::set<int32_t> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  EXPECT_EQ(all.size(), 8u);
  EXPECT_EQ(alloc.free_slots(), 0);
  EXPECT_FALSE(alloc.CanAllocate(0, 1));
  EXPECT_EQ(alloc.Allocate(1, a).code(), StatusCode::kOutOfMemory);
  EXPECT_EQ(a.size(), 5u);  // a failed Allocate changes nothing
  ASSERT_TRUE(alloc.Free(a).ok());
  EXPECT_EQ(alloc.free_slots(), 5);
  EXPECT_FALSE(alloc.Free(a).ok());  // double free is reported
  EXPECT_TRUE(alloc.CheckInvariants().ok());
}

TEST(KvSlotAllocatorTest, PagedSequencesFillTheirLastPageFirst) {
  KvSlotAllocator alloc(16, 4);
  std::vector<int32_t> seq;
  ASSERT_TRUE(alloc.Allocate(3, seq).ok());
  EXPECT_EQ(alloc.free_slots(), 12);
  EXPECT_EQ(alloc.PagesNeeded(3, 1), 0);
  ASSERT_TRUE(alloc.Allocate(2, seq).ok());  // one slot in page 0, then a new page
  ASSERT_EQ(seq.size(), 5u);
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(seq[i], seq[0] + static_cast<int32_t>(i));
  EXPECT_EQ(seq[4] % 4, 0);
  EXPECT_EQ(alloc.free_slots(), 8);
  ASSERT_TRUE(alloc.Free(std::span<const int32_t>(seq).subspan(4)).ok());  // its partial last page
  EXPECT_EQ(alloc.free_slots(), 12);
  EXPECT_TRUE(alloc.CheckInvariants().ok());
}

TEST(KvSlotAllocatorTest, RandomWorkloadKeepsAccounting) {
  for (int page : {1, 2, 16}) {
    KvSlotAllocator alloc(1024, page);
    std::mt19937 rng(page);
    std::vector<std::vector<int32_t>> seqs;
    for (int step = 0; step < 5000; ++step) {
      if (rng() % 3 != 0 || seqs.empty()) {
        const size_t i = rng() % (seqs.size() + 1);
        if (i == seqs.size()) seqs.emplace_back();
        const int64_t n = 1 + rng() % 20;
        if (alloc.CanAllocate(static_cast<int64_t>(seqs[i].size()), n)) {
          ASSERT_TRUE(alloc.Allocate(n, seqs[i]).ok());
        }
      } else {
        const size_t i = rng() % seqs.size();
        ASSERT_TRUE(alloc.Free(seqs[i]).ok());
        seqs.erase(seqs.begin() + static_cast<long>(i));
      }
      int64_t pages_held = 0;
      std::set<int32_t> slots;
      for (const auto& s : seqs) {
        pages_held += (static_cast<int64_t>(s.size()) + page - 1) / page;
        for (int32_t x : s) ASSERT_TRUE(slots.insert(x).second) << "slot handed out twice";
      }
      ASSERT_EQ(alloc.free_slots() + pages_held * page, alloc.capacity_slots());
      ASSERT_TRUE(alloc.CheckInvariants().ok());
    }
  }
}

}  // namespace
}  // namespace sgl
