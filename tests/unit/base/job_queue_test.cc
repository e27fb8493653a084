// JobQueue: jobs run once each, in order on one thread, off the pushing thread; a queued
// job can be taken back; the destructor finishes the running job and drops the others.
#include "base/job_queue.h"

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

namespace sgl {
namespace {

TEST(JobQueueTest, RunsEachJobOnceInOrderOffTheCallersThread) {
  std::vector<int> ran;
  std::thread::id runner;
  std::promise<void> all_ran;
  {
    JobQueue<int> queue(
        1,
        [&](int& job) {
          runner = std::this_thread::get_id();
          ran.push_back(job);
          if (job == 4) all_ran.set_value();
        },
        [](int&) { ADD_FAILURE() << "nothing should be dropped"; });
    for (int i = 0; i < 5; ++i) queue.Push(i);
    all_ran.get_future().wait();
  }
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_NE(runner, std::this_thread::get_id());
}

TEST(JobQueueTest, TakesBackQueuedJobsAndDropsTheRestAtDestruction) {
  std::promise<void> started, open;
  std::shared_future<void> opened = open.get_future().share();
  std::vector<std::string> ran, dropped;
  std::thread opener;
  {
    JobQueue<std::string> queue(
        1,
        [&](std::string& job) {
          if (job == "held") started.set_value(), opened.wait();
          ran.push_back(job);
        },
        [&](std::string& job) { dropped.push_back(job); });
    queue.Push("held");
    started.get_future().wait();  // "held" is running: the others stay queued
    queue.Push("a");
    queue.Push("b");
    EXPECT_FALSE(queue.TakeIf([](const std::string& j) { return j == "held"; }));
    std::optional<std::string> taken = queue.TakeIf([](const std::string& j) { return j == "b"; });
    ASSERT_TRUE(taken);
    EXPECT_EQ(*taken, "b");
    EXPECT_FALSE(queue.TakeIf([](const std::string& j) { return j == "b"; }));
    opener = std::thread([&] { open.set_value(); });  // ends "held" while the destructor waits, or just before
  }
  opener.join();
  ASSERT_FALSE(ran.empty());
  EXPECT_EQ(ran[0], "held");
  // "a" was either run (taken before the destructor stopped the thread) or dropped, once.
  EXPECT_EQ(ran.size() + dropped.size(), 2u);
  EXPECT_EQ(std::count(ran.begin(), ran.end(), "a") + std::count(dropped.begin(), dropped.end(), "a"), 1);
}

}  // namespace
}  // namespace sgl
