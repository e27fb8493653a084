#include "runtime/req_to_token_pool.h"

#include <set>

#include <gtest/gtest.h>

namespace sgl {
namespace {

TEST(ReqToTokenPoolTest, RowsAreDistinctAndReusable) {
  ReqToTokenPool pool(3, 16);
  std::set<int> rows;
  for (int i = 0; i < 3; ++i) rows.insert(*pool.Allocate());
  EXPECT_EQ(rows.size(), 3u);
  EXPECT_FALSE(pool.CanAllocate());
  EXPECT_FALSE(pool.Allocate().has_value());
  pool.Row(1)[15] = 42;
  EXPECT_EQ(pool.data()[16 + 15], 42);
  ASSERT_TRUE(pool.Free(1).ok());
  EXPECT_FALSE(pool.Free(1).ok());   // double free
  EXPECT_FALSE(pool.Free(7).ok());   // no such row
  EXPECT_EQ(*pool.Allocate(), 1);
}

}  // namespace
}  // namespace sgl
