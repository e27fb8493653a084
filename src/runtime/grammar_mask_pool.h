// GrammarMaskPool: fills a step's constrained requests' next-token bitmasks in parallel,
// on threads of its own and the caller's, while the device runs the step's forward pass
// (LateTokenMasks; the backend applies the masks where it samples: row_sampling.h). A mask depends only on the tokens its
// grammar accepted in earlier steps. One batch of jobs at a time; owns its threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "constrain/grammar_matcher.h"

namespace sgl {

// One request's mask: everything borrowed until Run returns.
struct GrammarMaskJob {
  constrain::GrammarMatcher* matcher;
  std::span<const int32_t> extra_stop_ids;  // the request's stop_token_ids
  std::vector<uint32_t>* bitmask;           // filled as FillGrammarBitmask does
  bool* any_allowed;                        // FillGrammarBitmask's answer
  std::optional<int64_t> num_remaining_tokens;  // the budget, if the mask is budgeted
  int64_t num_without_stop = 0;  // tokens before min_new_tokens allows a stop (this one included)
};

class GrammarMaskPool {
 public:
  // REQUIRES: num_threads >= 1.
  explicit GrammarMaskPool(int num_threads);
  ~GrammarMaskPool();
  GrammarMaskPool(const GrammarMaskPool&) = delete;
  GrammarMaskPool& operator=(const GrammarMaskPool&) = delete;

  // Fills every job's bitmask and returns when all are done. A single job runs on the
  // calling thread alone (waking a worker would cost more than most masks).
  void Run(std::span<const GrammarMaskJob> jobs);

 private:
  void WorkerLoop();
  // Runs the next job of the batch. REQUIRES: `lock` holds mu_ and a job is left.
  void RunNextJob(std::unique_lock<std::mutex>& lock);

  std::mutex mu_;  // guards the fields below
  std::condition_variable work_ready_, work_done_;
  std::span<const GrammarMaskJob> jobs_;
  size_t next_job_ = 0;       // the next job a thread takes
  size_t unfinished_ = 0;     // jobs of the batch not done yet
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sgl
