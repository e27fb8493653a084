#include "runtime/grammar_mask_pool.h"

#include "runtime/grammar_step.h"

namespace sgl {

GrammarMaskPool::GrammarMaskPool(int num_threads) {
  for (int i = 0; i < num_threads; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

GrammarMaskPool::~GrammarMaskPool() {
  Wait();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void GrammarMaskPool::Start(std::span<const GrammarMaskJob> jobs) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_ = jobs;
    next_job_ = 0;
    unfinished_ = jobs.size();
  }
  if (!jobs.empty()) work_ready_.notify_all();
}

void GrammarMaskPool::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  work_done_.wait(lock, [&] { return unfinished_ == 0; });
  jobs_ = {};
}

void GrammarMaskPool::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_ready_.wait(lock, [&] { return stopping_ || next_job_ < jobs_.size(); });
    if (stopping_) return;
    const GrammarMaskJob& job = jobs_[next_job_++];
    lock.unlock();
    // Each job's matcher is its own request's: no two workers share one.
    *job.any_allowed = FillGrammarBitmask(*job.matcher, job.extra_stop_ids, *job.bitmask, job.num_remaining_tokens);
    lock.lock();
    if (--unfinished_ == 0) work_done_.notify_all();
  }
}

}  // namespace sgl
