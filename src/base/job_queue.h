// JobQueue<Job>: jobs pushed from any thread, taken in order by `num_threads` threads of
// its own, each job handed once to `run` on one of them. A queued job can be taken back
// (TakeIf) before a thread starts it. The destructor lets the jobs being run finish, then
// hands every job never started to `drop` on the destroying thread. Declare it after the
// fields `run` uses, so its threads stop before those go.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace sgl {

template <typename Job>
class JobQueue {
 public:
  using Handler = std::function<void(Job&)>;

  JobQueue(int num_threads, Handler run, Handler drop) : run_(std::move(run)), drop_(std::move(drop)) {
    for (int i = 0; i < std::max(1, num_threads); ++i) threads_.emplace_back([this] { WorkerLoop(); });
  }
  ~JobQueue() {
    std::deque<Job> left;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      left.swap(jobs_);
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
    for (Job& job : left) drop_(job);
  }
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  void Push(Job job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

  // Removes and returns the first queued (not started) job for which `match` holds.
  std::optional<Job> TakeIf(const std::function<bool(const Job&)>& match) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find_if(jobs_.begin(), jobs_.end(), match);
    if (it == jobs_.end()) return std::nullopt;
    std::optional<Job> job(std::move(*it));
    jobs_.erase(it);
    return job;
  }

 private:
  void WorkerLoop() {
    for (;;) {
      std::optional<Job> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        job.emplace(std::move(jobs_.front()));
        jobs_.pop_front();
      }
      run_(*job);
    }
  }

  Handler run_, drop_;
  std::mutex mu_;  // guards the fields below
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sgl
