#include "runtime/schedule_policy.h"

#include <gtest/gtest.h>

namespace sgl {
namespace {

std::shared_ptr<Request> Req(uint64_t id, std::vector<int32_t> tokens, int max_new = 8) {
  auto r = std::make_shared<Request>();
  r->id = id;
  r->input_ids = std::move(tokens);
  r->params.max_new_tokens = max_new;
  return r;
}

std::vector<uint64_t> Ids(const std::deque<std::shared_ptr<Request>>& q) {
  std::vector<uint64_t> ids;
  for (const auto& r : q) ids.push_back(r->id);
  return ids;
}

TEST(SchedulePolicyTest, ParsesSGLangNames) {
  EXPECT_EQ(*ParseSchedulePolicy("dfs-weight"), SchedulePolicy::kDfsWeight);
  EXPECT_EQ(*ParseSchedulePolicy("lof"), SchedulePolicy::kLof);
  auto bad = ParseSchedulePolicy("fastest");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'fastest'"), std::string::npos);
}

TEST(SchedulePolicyTest, LpmPutsLongestCachedPrefixFirst) {
  RadixCache cache;
  std::vector<int32_t> slots(10);
  cache.Insert(std::vector<int32_t>{1, 2, 3, 4, 5, 6}, slots);
  std::deque<std::shared_ptr<Request>> q = {Req(0, {9, 9, 9}), Req(1, {1, 2, 7, 7}), Req(2, {1, 2, 3, 4, 5, 6, 7})};
  std::mt19937_64 rng(0);
  OrderWaitingQueue(SchedulePolicy::kLpm, q, &cache, rng);
  EXPECT_EQ(Ids(q), (std::vector<uint64_t>{2, 1, 0}));
  OrderWaitingQueue(SchedulePolicy::kLpm, q, nullptr, rng);  // no cache: fcfs keeps the order
  EXPECT_EQ(Ids(q), (std::vector<uint64_t>{2, 1, 0}));
}

TEST(SchedulePolicyTest, DfsWeightKeepsSharedPrefixesTogetherHeaviestFirst) {
  RadixCache cache;
  std::vector<int32_t> slots(8);
  cache.Insert(std::vector<int32_t>{1, 1, 1, 1}, slots);
  cache.Insert(std::vector<int32_t>{2, 2, 2, 2}, slots);
  // Two requests under [2 2 2 2], one under [1 1 1 1], interleaved in arrival order.
  std::deque<std::shared_ptr<Request>> q = {Req(0, {2, 2, 2, 2, 5}), Req(1, {1, 1, 1, 1, 5}),
                                            Req(2, {2, 2, 2, 2, 6})};
  std::mt19937_64 rng(0);
  OrderWaitingQueue(SchedulePolicy::kDfsWeight, q, &cache, rng);
  EXPECT_EQ(Ids(q), (std::vector<uint64_t>{0, 2, 1}));
}

TEST(SchedulePolicyTest, LofPutsLongestOutputFirst) {
  std::deque<std::shared_ptr<Request>> q = {Req(0, {1}, 4), Req(1, {1}, 64), Req(2, {1}, 16)};
  std::mt19937_64 rng(0);
  OrderWaitingQueue(SchedulePolicy::kLof, q, nullptr, rng);
  EXPECT_EQ(Ids(q), (std::vector<uint64_t>{1, 2, 0}));
}

}  // namespace
}  // namespace sgl
