// RankWorker: the thread of one tensor-parallel rank. It owns nothing but its thread and
// a queue: the rank's state (backend, model) is made, used and destroyed by tasks posted
// here, so only this thread ever touches it. Tasks run one at a time in posting order.
// Post() may be called from any thread; the destructor runs the tasks already posted,
// then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "base/status.h"

namespace sgl {

class RankWorker {
 public:
  RankWorker();
  ~RankWorker();
  RankWorker(const RankWorker&) = delete;
  RankWorker& operator=(const RankWorker&) = delete;

  // Queues `task`; the future holds its Status once it has run on the worker thread.
  std::future<Status> Post(std::function<Status()> task);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<Status()>> tasks_;  // guarded by mu_; pushed by Post, popped by Loop
  bool stopping_ = false;                           // guarded by mu_
  std::thread thread_;
};

}  // namespace sgl
