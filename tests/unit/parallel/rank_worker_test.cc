#include "parallel/rank_worker.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sgl {
namespace {

TEST(RankWorkerTest, RunsTasksInOrderOnOneThreadOfItsOwn) {
  std::vector<int> order;
  std::thread::id worker_id;
  std::vector<std::future<Status>> done;
  {
    RankWorker worker;
    for (int i = 0; i < 100; ++i)
      done.push_back(worker.Post([&, i] {
        if (i == 0) worker_id = std::this_thread::get_id();
        if (std::this_thread::get_id() != worker_id) return Status(StatusCode::kInternal, "another thread");
        order.push_back(i);
        return i == 50 ? InvalidArgument("task {} fails", i) : Status::Ok();
      }));
  }  // the destructor runs whatever was posted, then joins
  for (int i = 0; i < 100; ++i) {
    const Status s = done[i].get();
    EXPECT_EQ(s.ok(), i != 50) << i << ": " << s.message();
  }
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_NE(worker_id, std::this_thread::get_id());
}

}  // namespace
}  // namespace sgl
