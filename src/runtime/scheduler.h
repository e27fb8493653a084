// Scheduler: continuous batching over one model. Each Step() builds one ForwardBatch from
// the running requests' decodes plus prefill chunks (at most chunked_prefill_size tokens
// of a request and max_prefill_tokens in all per step), reusing cached prefixes from the
// RadixCache (a request that shares an uncached prompt with a running one waits a step so
// the prompt is computed once), allocating KV slots (evicting cached prefixes, or
// retracting a running request back to the queue when decode runs out), runs the model,
// collects prompt logprobs, samples, checks stop tokens, stop strings (through the
// request's OutputText) and lengths, and delivers tokens. A constrained request's logits
// are masked by its grammar before sampling; it finishes when the grammar is terminated. Debug builds check
// CheckInvariants() after every step.
// Overlap scheduling (unless disabled): the forward pass runs on a ForwardWorker while
// this thread builds the next step and then processes the last one's results. A request
// whose next input is a token the running step is still drawing gets a placeholder for
// it (-1 - its logits row), resolved from that step's output before the next one starts;
// so a request that stops at that token has computed one more step, whose results are
// dropped. Steps that need more than the drawn tokens to build the next one (host
// sampling, logprobs, grammars, penalties) or a retraction run without overlap.
// A failed forward pass (a device error) leaves KV in doubt: every running request is
// aborted with its error, a step built on top of it never runs, and the prefix cache is
// emptied; waiting requests stay queued and the scheduler goes on.
// Owns all serving state. Submit/Abort are thread-safe; everything else runs on the
// thread that calls Step() (the scheduler thread, or a test).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "model/model.h"
#include "runtime/forward_worker.h"
#include "runtime/grammar_mask_pool.h"
#include "runtime/image_embedder.h"
#include "runtime/jump_forward.h"
#include "runtime/kv_slot_allocator.h"
#include "runtime/radix_cache.h"
#include "runtime/request.h"
#include "runtime/schedule_policy.h"

namespace sgl {

struct SchedulerOptions {
  int64_t max_total_tokens = 4096;      // KV cache capacity in token slots
  int page_size = 1;
  int64_t chunked_prefill_size = 512;   // prompt tokens per request per step; -1: no chunking
  int64_t max_prefill_tokens = 16384;   // prompt tokens per step, all requests together
  int max_running_requests = 64;
  bool disable_radix_cache = false;
  SchedulePolicy policy = SchedulePolicy::kFcfs;
  uint64_t random_seed = 0;
  // Constrained masks ignore the tokens a request has left (GrammarMatcher's budgeted mask).
  bool disable_grammar_budget = false;
  // Every step is built only after the previous one's results are processed (no
  // ForwardWorker; SGLang's --disable-overlap-schedule).
  bool disable_overlap_schedule = false;
  // Steps are built ahead only while the scheduler's own work per step (planning and
  // results, averaged over recent steps) takes at least this long: below it, handing the
  // step to the worker thread costs more than the overlap saves (H200, 8B, bench/RESULTS.md:
  // bs 4-32 with 0.0-0.1 ms of it lost up to 2%; bs 256 at 1000/1000 with 2.1 ms gained 4.7%).
  int64_t plan_ahead_min_host_us = 200;
};

class Scheduler {
 public:
  // Creates the model's KV cache. REQUIRES: the model outlives the scheduler. `images`:
  // a vision-language model's ImageEmbedder (then every batch carries axis positions),
  // else null.
  // `jump_forward`: appends the text a grammar forces without a model step per token
  // (null: every token is sampled).
  static Result<std::unique_ptr<Scheduler>> Create(Model& model, const SchedulerOptions& options,
                                                   std::unique_ptr<ImageEmbedder> images = nullptr,
                                                   std::unique_ptr<JumpForward> jump_forward = nullptr);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request (thread-safe). Its callback reports tokens and the finish.
  void Submit(std::shared_ptr<Request> request);
  // Finishes request `id` with reason "abort" wherever it is (thread-safe).
  void Abort(uint64_t id);

  // Empties the prefix cache once no request is running or waiting (thread-safe); the
  // future says whether it happened.
  std::future<Status> FlushCache();

  // Runs the loop on a thread of its own until destruction.
  void Start();
  // Runs one step on the calling thread; returns false when there was nothing to do.
  bool Step();

  // free + cached + held by requests == capacity; the cache's and allocator's own checks.
  Status CheckInvariants() const;
  int64_t capacity_tokens() const { return allocator_.capacity_slots(); }
  int num_running() const { return static_cast<int>(running_.size()); }
  int num_waiting() const { return static_cast<int>(waiting_.size()); }

  // Counters any thread may read; published by the scheduler thread after each step.
  struct Stats {
    std::atomic<int> num_running{0};
    std::atomic<int> num_waiting{0};
    std::atomic<int64_t> prompt_tokens{0};
    std::atomic<int64_t> cached_prompt_tokens{0};
    std::atomic<int64_t> kv_used_tokens{0};
    std::atomic<int64_t> computed_prompt_tokens{0};  // prompt tokens run through the model
    std::atomic<int64_t> steps{0};       // steps that ran a batch
    std::atomic<int64_t> step_ns{0};     // their wall time
    std::atomic<int64_t> forward_ns{0};  // of which running or waiting for Model::Forward
    std::atomic<int64_t> steps_planned_ahead{0};  // built while the step before ran
  };
  const Stats& stats() const { return stats_; }

  // A waiting request whose uncached prompt shares at least this many tokens with a
  // prompt being computed is held back until that prompt is cached (in-batch prefix
  // caching, SGLang's IN_BATCH_PREFIX_CACHING_DEPRIORITIZE_THRESHOLD).
  static constexpr int64_t kInBatchPrefixMinTokens = 32;
  // Threads filling constrained requests' masks before the model runs.
  static constexpr int kGrammarMaskThreads = 2;

 private:
  using RunningIt = std::list<std::shared_ptr<Request>>::iterator;
  // One request's part of a step: its new tokens [begin, begin + num_new_tokens) and the
  // logits rows it gets back, for the token positions [row_begin, row_begin + num_rows).
  struct Scheduled {
    RunningIt it;  // valid while req is not finished
    std::shared_ptr<Request> req;
    int64_t begin;
    int64_t num_new_tokens;
    size_t first_row;  // index in batch.logit_rows of position row_begin
    int64_t row_begin;
    int64_t num_rows;
    bool completes;  // its last token is computed: sample from the last row
  };
  // What one step runs: built by ScheduleRunning and AdmitWaiting, run by Forward.
  struct StepPlan {
    ForwardBatch batch;
    std::vector<Scheduled> scheduled;
    int64_t prefill_budget = 0;  // prompt tokens still allowed this step
    ForwardOutput* output = nullptr;  // one of outputs_
    Status forward_status;
    // The next step is built while this one runs on the worker (PlansAhead).
    bool plan_ahead = false;
    // Requests given a placeholder for the token this step draws (AddPendingTokens).
    std::vector<std::shared_ptr<Request>> pending;
  };

  Scheduler(Model& model, const SchedulerOptions& options, std::unique_ptr<ImageEmbedder> images,
            std::unique_ptr<JumpForward> jump_forward);
  bool StepOnce();
  void TakeIncoming();
  void ApplyFlushes(std::vector<std::promise<Status>>& flushes);
  // Copies the queue sizes and KV use into stats_ for other threads.
  void PublishStats();
  void ApplyAborts(const std::vector<uint64_t>& ids);

  // --- building the step (scheduler_plan.cc) ---
  // Running requests' decodes and continuing prefill chunks; retracts the newest running
  // requests when KV runs out (or, unless `may_retract`, leaves them out of this step).
  void ScheduleRunning(StepPlan& plan, bool may_retract);
  // Waiting requests in the policy's order, while the budget, the running limit and the
  // KV cache allow.
  void AdmitWaiting(StepPlan& plan);
  // Adds `num_new_tokens` of a running request to the batch (with the rows of the images
  // they cover). REQUIRES: EnsureFree succeeded. Fails, adding nothing, when such an image
  // has no rows; the caller finishes the request.
  [[nodiscard]] Status Schedule(StepPlan& plan, RunningIt it, int64_t num_new_tokens);
  int64_t PrefillChunk(const Request& req, int64_t prefill_budget) const;
  RowSampling DeviceSampling(Request& r, std::vector<LogitEdit>& edits);
  // Whether `req` should wait for a prompt being computed that it shares (in-batch prefix caching).
  bool SharesPromptBeingComputed(const Request& req) const;
  // Nothing could run: fails the first waiting request if it can never fit.
  bool HandleIdle();
  // Whether the step after `plan` may be built while it runs (overlap scheduling): all its
  // requests draw their tokens on the device and need nothing else from its results.
  bool PlansAhead(const StepPlan& plan) const;

  // --- overlap scheduling (scheduler_overlap.cc) ---
  // Gives each request whose last token `in_flight` computes a placeholder for the token
  // it draws (unless that token is its last), and checks that the next step fits in the
  // KV cache without retracting anyone; false (placeholders taken back) when it does not.
  bool AddPendingTokens(StepPlan& in_flight);
  void RemovePendingTokens(StepPlan& in_flight);
  // Starts the plan's forward pass: on worker_ when the next step is built ahead,
  // otherwise runs it on this thread.
  void StartForward(StepPlan& plan);
  // Waits for it; the time counts as the step's forward time (step_forward_ns_).
  void WaitForward(StepPlan& plan);
  // The step's results (or, when its forward pass failed, RecoverFromFailedForward). The
  // plan is then kept as spare_plan_. REQUIRES: no other pass in flight when it failed.
  void FinishStep(std::unique_ptr<StepPlan> plan);
  // After a failed forward pass: aborts every running request ("the forward pass failed:
  // ..."), then drops every cached prefix, handing its slots back; waiting requests stay.
  void RecoverFromFailedForward(const Status& failure);
  // An empty plan: spare_plan_ emptied, or a new one.
  std::unique_ptr<StepPlan> NewPlan();

  // --- around the forward pass (scheduler_results.cc) ---
  // Gives the batch late masks (LateTokenMasks) for the plan's constrained sampling rows:
  // the rows the backend samples get their place in them (RowSampling::mask_begin), and
  // FillGrammarMasks fills them when the backend samples, while the device runs the step.
  void PlanGrammarMasks(StepPlan& plan);
  // Fills every constrained sampling row's mask (on mask_pool_) into its request, and
  // those the backend samples into `words` too.
  void FillGrammarMasks(const StepPlan& plan, std::span<uint32_t> words);
  void ProcessResults(StepPlan& plan);
  void CollectPromptRows(Request& req, const Scheduled& sch, const ForwardOutput& output);
  // `row`: the request's sampling row in `output`.
  void SampleNext(RunningIt it, ForwardOutput& output, size_t row, bool logits_on_host);
  // `token` followed by the text the request's grammar forces, as tokens (JumpForward),
  // within its length and KV limits. REQUIRES: jump_forward_ and r.grammar. Moves r's
  // grammar past them.
  std::vector<int32_t> JumpForwardFrom(Request& r, int32_t token) const;
  // Output tokens `r` may still produce (its max_new_tokens and KV limits).
  int64_t OutputRoom(const Request& r) const;
  // The budget its grammar's mask steers by: OutputRoom, or none when that is disabled.
  std::optional<int64_t> GrammarBudget(const Request& r) const;
  // A new constrained request whose grammar forces its start gets those bytes as its
  // first output tokens (JumpForward::AtStart) before any model step, so its first
  // prefill computes them with the prompt. Returns false when they finished (and
  // delivered) it; true otherwise, also when nothing was forced or jump-forward is off.
  bool JumpForwardAtStart(const std::shared_ptr<Request>& req);
  // Adds an output token: stop tokens, stop strings and lengths checked, delivered.
  // Returns false when it finished the request (`it` is then gone).
  bool AppendToken(RunningIt it, int32_t token, const std::vector<float>& logprobs);
  // AppendToken's part on the request alone: the token added and checked, and delivered
  // as an update when r goes on; otherwise why r finished (not delivered yet).
  std::optional<FinishReason> RecordToken(Request& r, int32_t token, const std::vector<float>& logprobs);
  // The next token from the row's logits on the host (logits processing, grammar,
  // sampler); nullopt when the request was finished instead.
  std::optional<int32_t> SampleOnHost(RunningIt it, std::span<float> logits, std::vector<float>* logprobs);
  // A constrained request's mask on its logits; false (request finished) when nothing is allowed.
  bool MaskByGrammar(RunningIt it, std::span<float> logits);
  // Feeds the token the backend drew under the request's mask to its grammar; false
  // (request finished) when the mask left nothing or the grammar refuses the token.
  bool AcceptDeviceToken(RunningIt it, int32_t token);
  // Advances the request's grammar by `token`; false (request finished) if it refuses it.
  bool FeedGrammar(RunningIt it, int32_t token);
  // Aborts a constrained request whose grammar failed, keeping why for its GrammarStop.
  void FailGrammar(RunningIt it, std::string message);
  // Delivers a finished request (already off the running list and released).
  void Deliver(const std::shared_ptr<Request>& req, FinishReason reason, std::optional<int32_t> token);

  // Makes room for `pages`-worth of allocation by evicting cached prefixes.
  bool EnsureFree(int64_t seq_len, int64_t num_tokens);
  void Admit(Request& req);
  // Gives back everything a request holds; keeps its computed tokens in the cache.
  void Release(Request& req);
  // Caches tokens [0, len) with the request's slots, freeing those that turn out duplicates.
  // REQUIRES: cached_prefix_len == 0 unless the request locks its cached prefix.
  void InsertIntoCache(Request& req, int64_t len);
  // Caches a running request's computed prompt so that others can share it at once; the
  // request then locks the cached copy and keeps only its partial last page.
  void CacheUnfinished(Request& req);
  void Finish(RunningIt it, FinishReason reason);
  void Retract(RunningIt it);
  bool ShouldStop(const Request& req, int32_t token) const;

  Model& model_;
  SchedulerOptions options_;
  std::unique_ptr<ImageEmbedder> images_;  // null for text-only models
  std::unique_ptr<JumpForward> jump_forward_;  // null: off
  KvSlotAllocator allocator_;
  RadixCache cache_;
  std::deque<std::shared_ptr<Request>> waiting_;
  std::list<std::shared_ptr<Request>> running_;
  std::vector<GrammarMaskJob> mask_jobs_;  // this step's constrained rows (reused)
  GrammarMaskPool mask_pool_{kGrammarMaskThreads};  // after mask_jobs_: its threads stop first
  std::unique_ptr<ForwardWorker> worker_;  // null: overlap off; after mask_pool_, which it uses
  std::unique_ptr<StepPlan> in_flight_;    // started, its results not processed yet
  // A finished step's plan, kept for the next one: its buffers (page tables above all)
  // keep their capacity, so a steady decode builds its batches without allocating.
  std::unique_ptr<StepPlan> spare_plan_;
  // The steps' outputs, reused (a big batch's host logits take long to allocate): a step
  // takes the one the step in flight does not use.
  ForwardOutput outputs_[2];
  double host_ns_per_step_ = 0;  // the scheduler's own work per step, a moving average
  int64_t step_forward_ns_ = 0;  // this step's time in (or waiting for) forward passes
  std::mt19937_64 rng_;  // for the random policy
  Stats stats_;

  std::mutex mu_;  // guards the fields below
  std::condition_variable wake_;
  std::vector<std::shared_ptr<Request>> incoming_;
  std::vector<uint64_t> aborts_;
  std::vector<std::promise<Status>> flushes_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sgl
