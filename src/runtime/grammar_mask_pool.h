// GrammarMaskPool: fills constrained requests' next-token bitmasks on threads of its own
// while the scheduler thread runs the model's forward pass: a step's masks depend only on
// the tokens its grammars accepted in earlier steps, never on this step's logits. The
// scheduler thread calls Start, leaves the jobs' matchers and bitmasks alone, and calls
// Wait before reading them; one batch of jobs at a time. Owns its threads.
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

// One request's mask: everything borrowed until Wait returns.
struct GrammarMaskJob {
  constrain::GrammarMatcher* matcher;
  std::span<const int32_t> extra_stop_ids;  // the request's stop_token_ids
  std::vector<uint32_t>* bitmask;           // filled as FillGrammarBitmask does
  bool* any_allowed;                        // FillGrammarBitmask's answer
  std::optional<int64_t> num_remaining_tokens;  // the budget, if the mask is budgeted
};

class GrammarMaskPool {
 public:
  // REQUIRES: num_threads >= 1.
  explicit GrammarMaskPool(int num_threads);
  ~GrammarMaskPool();
  GrammarMaskPool(const GrammarMaskPool&) = delete;
  GrammarMaskPool& operator=(const GrammarMaskPool&) = delete;

  // Starts filling every job's bitmask. REQUIRES: no batch in flight (Wait was called).
  // `jobs` must stay alive and untouched until Wait returns.
  void Start(std::span<const GrammarMaskJob> jobs);
  // Blocks until the batch started last is done (returns at once when none is).
  void Wait();

 private:
  void WorkerLoop();

  std::mutex mu_;  // guards the fields below
  std::condition_variable work_ready_, work_done_;
  std::span<const GrammarMaskJob> jobs_;
  size_t next_job_ = 0;       // the next job a worker takes
  size_t unfinished_ = 0;     // jobs of the batch not done yet
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sgl
