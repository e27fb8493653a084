#include "runtime/grammar_mask_pool.h"

#include "runtime/grammar_step.h"

namespace sgl {
namespace {

void Fill(const GrammarMaskJob& job) {
  *job.any_allowed = FillGrammarBitmask(*job.matcher, job.extra_stop_ids, *job.bitmask, job.num_remaining_tokens,
                                        job.num_without_stop);
}

}  // namespace

GrammarMaskPool::GrammarMaskPool(int num_threads) {
  for (int i = 0; i < num_threads; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

GrammarMaskPool::~GrammarMaskPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void GrammarMaskPool::Run(std::span<const GrammarMaskJob> jobs) {
  if (jobs.size() <= 1) {
    for (const GrammarMaskJob& job : jobs) Fill(job);
    return;
  }
  std::unique_lock<std::mutex> lock(mu_);
  jobs_ = jobs;
  next_job_ = 0;
  unfinished_ = jobs.size();
  work_ready_.notify_all();
  while (next_job_ < jobs_.size()) RunNextJob(lock);
  work_done_.wait(lock, [&] { return unfinished_ == 0; });
  jobs_ = {};
}

void GrammarMaskPool::RunNextJob(std::unique_lock<std::mutex>& lock) {
  const GrammarMaskJob& job = jobs_[next_job_++];
  lock.unlock();
  Fill(job);  // each job's matcher is its own request's: no two threads share one
  lock.lock();
  if (--unfinished_ == 0) work_done_.notify_all();
}

void GrammarMaskPool::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_ready_.wait(lock, [&] { return stopping_ || next_job_ < jobs_.size(); });
    if (stopping_) return;
    RunNextJob(lock);
  }
}

}  // namespace sgl
