#include "runtime/scheduler.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "runtime/logprobs.h"
#include "runtime/scheduler_reasons.h"

namespace sgl {

Result<std::unique_ptr<Scheduler>> Scheduler::Create(Model& model, const SchedulerOptions& o,
                                                     std::unique_ptr<ImageEmbedder> images,
                                                     std::unique_ptr<JumpForward> jump_forward) {
  if (o.page_size < 1) return InvalidArgument("page size must be >= 1, got {}", o.page_size);
  if (o.max_total_tokens < o.page_size)
    return InvalidArgument("KV capacity of {} tokens is less than one page", o.max_total_tokens);
  if (o.chunked_prefill_size == 0 || o.chunked_prefill_size < -1)
    return InvalidArgument("chunked prefill size must be >= 1, or -1 to disable chunking");
  if (o.max_prefill_tokens < 1) return InvalidArgument("max prefill tokens must be >= 1");
  if (o.max_running_requests < 1) return InvalidArgument("max running requests must be >= 1");
  SGL_RETURN_IF_ERROR(model.CreateKvCache(o.max_total_tokens));
  return std::unique_ptr<Scheduler>(new Scheduler(model, o, std::move(images), std::move(jump_forward)));
}

Scheduler::Scheduler(Model& model, const SchedulerOptions& options, std::unique_ptr<ImageEmbedder> images,
                     std::unique_ptr<JumpForward> jump_forward)
    : model_(model),
      options_(options),
      images_(std::move(images)),
      jump_forward_(std::move(jump_forward)),
      allocator_(options.max_total_tokens, options.page_size),
      cache_(options.page_size),
      rng_(options.random_seed) {
  if (!options.disable_overlap_schedule) worker_ = std::make_unique<ForwardWorker>(model);
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (in_flight_) {
    std::unique_ptr<StepPlan> plan = std::move(in_flight_);
    WaitForward(*plan);
    FinishStep(std::move(plan));
  }
  // Nobody may wait forever on a request the scheduler will never run.
  TakeIncoming();
  while (!running_.empty()) Finish(running_.begin(), Aborted("the engine is shutting down"));
  for (auto& req : waiting_) Deliver(req, Aborted("the engine is shutting down"), std::nullopt);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& flush : flushes_) flush.set_value(Status(StatusCode::kInternal, "the engine is shutting down"));
}

void Scheduler::Submit(std::shared_ptr<Request> request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    incoming_.push_back(std::move(request));
  }
  wake_.notify_all();
}

void Scheduler::Abort(uint64_t id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    aborts_.push_back(id);
  }
  wake_.notify_all();
}

std::future<Status> Scheduler::FlushCache() {
  std::future<Status> result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    flushes_.emplace_back();
    result = flushes_.back().get_future();
  }
  wake_.notify_all();
  return result;
}

void Scheduler::Start() {
  thread_ = std::thread([this] {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        // running_ and waiting_ are only touched by this thread, so reading them here is safe.
        wake_.wait(lock, [&] {
          return stopping_ || !incoming_.empty() || !aborts_.empty() || !flushes_.empty() || !running_.empty() ||
                 !waiting_.empty() || in_flight_ != nullptr;
        });
        if (stopping_) return;
      }
      Step();
    }
  });
}

void Scheduler::TakeIncoming() {
  std::vector<std::shared_ptr<Request>> incoming;
  std::vector<uint64_t> aborts;
  std::vector<std::promise<Status>> flushes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    incoming.swap(incoming_);
    aborts.swap(aborts_);
    flushes.swap(flushes_);
  }
  // Flushes are checked before this round's new requests are queued, so a flush sent on
  // an idle engine always succeeds.
  ApplyFlushes(flushes);
  for (auto& req : incoming)
    if (JumpForwardAtStart(req)) waiting_.push_back(std::move(req));
  ApplyAborts(aborts);
}

void Scheduler::ApplyFlushes(std::vector<std::promise<Status>>& flushes) {
  for (auto& flush : flushes) {
    if (!running_.empty() || !waiting_.empty()) {
      flush.set_value(InvalidArgument("cannot flush the cache: {} requests are running and {} waiting",
                                      running_.size(), waiting_.size()));
      continue;
    }
    cache_.Reset([&](std::span<const int32_t> slots) { (void)allocator_.Free(slots); });
    PublishStats();  // before the flush's caller can read them
    flush.set_value(Status::Ok());
  }
}

void Scheduler::ApplyAborts(const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) {
    auto waiting = std::find_if(waiting_.begin(), waiting_.end(), [&](const auto& r) { return r->id == id; });
    if (waiting != waiting_.end()) {
      auto req = *waiting;
      waiting_.erase(waiting);
      Deliver(req, Aborted("aborted by request"), std::nullopt);
      continue;
    }
    auto running = std::find_if(running_.begin(), running_.end(), [&](const auto& r) { return r->id == id; });
    if (running != running_.end()) Finish(running, Aborted("aborted by request"));
  }
}

void Scheduler::Admit(Request& req) {
  if (!req.admitted_at) req.admitted_at = std::chrono::steady_clock::now();
  const int64_t next_logprob = req.NextInputLogprobPosition();
  if (next_logprob == 0) req.input_logprobs.push_back(UndefinedLogprobs(req.input_ids[0]));
  if (options_.disable_radix_cache || req.want_prompt_logits) return;
  // The last token is always computed, so that its logits exist; so are the tokens whose
  // logits give prompt logprobs still missing (SGLang limits the prefix match the same way).
  int64_t max_prefix_len = req.num_tokens() - 1;
  if (req.NextInputLogprobPosition() < req.prompt_len())
    max_prefix_len = std::min(max_prefix_len, req.NextInputLogprobPosition() - 1);
  RadixCache::Match match = cache_.MatchPrefix(req.Tokens(0, max_prefix_len));
  req.slots = std::move(match.slots);
  req.cached_prefix_len = req.num_computed();
  if (req.num_retractions == 0) req.cached_tokens = req.cached_prefix_len;
  req.locked_node = match.last_node;
  cache_.Lock(req.locked_node);
}

void Scheduler::InsertIntoCache(Request& req, int64_t len) {
  std::span<const int32_t> slots(req.slots);
  const int64_t existing = cache_.Insert(req.Tokens(0, len), slots.first(len));
  // Beyond the request's own cached prefix, what was already cached (by another request
  // meanwhile) makes the request's slots duplicates, which it owned: free them.
  if (existing > req.cached_prefix_len)
    (void)allocator_.Free(slots.subspan(req.cached_prefix_len, existing - req.cached_prefix_len));
}

void Scheduler::CacheUnfinished(Request& req) {
  if (options_.disable_radix_cache || req.want_prompt_logits || req.locked_node == nullptr) return;
  // With overlap, the step in flight may already compute a token not appended yet.
  const int64_t n = std::min(req.num_computed(), req.num_tokens());
  const int64_t aligned = n / options_.page_size * options_.page_size;
  if (aligned <= req.cached_prefix_len) return;
  InsertIntoCache(req, aligned);
  RadixCache::Match match = cache_.MatchPrefix(req.Tokens(0, aligned));
  std::copy(match.slots.begin(), match.slots.end(), req.slots.begin());
  cache_.Lock(match.last_node);
  cache_.Unlock(req.locked_node);
  req.locked_node = match.last_node;
  req.cached_prefix_len = aligned;
}

bool Scheduler::EnsureFree(int64_t seq_len, int64_t num_tokens) {
  if (allocator_.CanAllocate(seq_len, num_tokens)) return true;
  if (!options_.disable_radix_cache) {
    const int64_t missing = allocator_.PagesNeeded(seq_len, num_tokens) * options_.page_size - allocator_.free_slots();
    cache_.Evict(missing, [&](std::span<const int32_t> slots) { (void)allocator_.Free(slots); });
  }
  return allocator_.CanAllocate(seq_len, num_tokens);
}

void Scheduler::Release(Request& req) {
  // With overlap, a step in flight may be computing a token the request never got (it
  // ended first): that slot is freed, not cached.
  const int64_t n = std::min(req.num_computed(), req.num_tokens());
  std::span<const int32_t> slots(req.slots);
  if (options_.disable_radix_cache) {
    (void)allocator_.Free(slots);
  } else {
    // Cache the whole pages computed; free the partial last page, which this request
    // alone owned.
    InsertIntoCache(req, n);
    const int64_t aligned = n / options_.page_size * options_.page_size;
    if (aligned < req.num_computed()) (void)allocator_.Free(slots.subspan(aligned));
    if (req.locked_node != nullptr) cache_.Unlock(req.locked_node);
  }
  req.slots.clear();
  req.cached_prefix_len = 0;
  req.locked_node = nullptr;
}

void Scheduler::Finish(RunningIt it, FinishReason reason) {
  std::shared_ptr<Request> req = *it;
  running_.erase(it);
  Release(*req);
  Deliver(req, std::move(reason), std::nullopt);
}

void Scheduler::Deliver(const std::shared_ptr<Request>& req, FinishReason reason, std::optional<int32_t> token) {
  req->finish_reason = std::move(reason);
  req->finished = true;
  if (req->output_text) req->output_text->Finish();
  if (req->on_update) req->on_update(*req, token, true);
}

void Scheduler::Retract(RunningIt it) {
  std::shared_ptr<Request> req = *it;
  running_.erase(it);
  Release(*req);  // its computed tokens stay cached, so resuming recomputes little
  req->prompt_logits.clear();  // recomputed from the start when it resumes
  ++req->num_retractions;
  waiting_.push_front(std::move(req));
}

bool Scheduler::ShouldStop(const Request& req, int32_t token) const {
  if (static_cast<int64_t>(req.output_ids.size()) <= req.params.min_new_tokens) return false;
  const auto& stops = req.params.stop_token_ids;
  if (std::find(stops.begin(), stops.end(), token) != stops.end()) return true;
  const auto& eos = model_.config().eos_token_ids;
  return !req.params.ignore_eos && std::find(eos.begin(), eos.end(), token) != eos.end();
}

bool Scheduler::Step() {
  const bool worked = StepOnce();
#ifndef NDEBUG
  // Debug builds check the KV accounting after every step; a broken invariant is a bug
  // here, not bad input, so it stops the process where it happened.
  if (Status s = CheckInvariants(); !s.ok()) {
    std::fprintf(stderr, "Scheduler invariant broken: %s\n", s.message().c_str());
    std::abort();
  }
#endif
  PublishStats();
  return worked;
}

void Scheduler::PublishStats() {
  stats_.num_running = static_cast<int>(running_.size());
  stats_.num_waiting = static_cast<int>(waiting_.size());
  stats_.kv_used_tokens = allocator_.capacity_slots() - allocator_.free_slots();
}

bool Scheduler::StepOnce() {
  const std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  step_forward_ns_ = 0;
  TakeIncoming();
  // The step in flight, if any: the next one is built while it runs when PlansAhead said
  // so and the KV cache has room; otherwise its results come first.
  std::unique_ptr<StepPlan> previous = std::move(in_flight_);
  const bool ahead = previous && previous->plan_ahead && AddPendingTokens(*previous);
  if (ahead) ++stats_.steps_planned_ahead;
  if (previous && !ahead) {
    WaitForward(*previous);
    FinishStep(std::move(previous));
  }
  std::unique_ptr<StepPlan> plan = NewPlan();
  plan->output = previous && previous->output == &outputs_[0] ? &outputs_[1] : &outputs_[0];
  ScheduleRunning(*plan, /*may_retract=*/!ahead);
  AdmitWaiting(*plan);
  if (previous) {
    WaitForward(*previous);
    RemovePendingTokens(*previous);
    if (previous->forward_status.ok()) {
      // Placeholders are the only negative ids: the Engine refuses requests with any.
      for (int32_t& id : plan->batch.input_ids)
        if (id < 0) id = previous->output->tokens[static_cast<size_t>(-1 - id)];
    } else {
      // Built on results that never came (and maybe on prefixes the failed pass cached):
      // it never runs, and FinishStep(previous) aborts its requests.
      plan->batch.Clear();
      plan->scheduled.clear();
    }
  }
  const bool runs = plan->batch.num_tokens() > 0;
  if (runs) {
    PlanGrammarMasks(*plan);
    // Masks are filled during the forward pass from the requests' grammars, which the
    // previous step's results move: those come first, and nothing overlaps this step.
    if (previous && plan->batch.late_token_masks) FinishStep(std::move(previous));
    plan->plan_ahead = worker_ != nullptr && host_ns_per_step_ >= options_.plan_ahead_min_host_us * 1e3 &&
                       PlansAhead(*plan);
    StartForward(*plan);
    // The prompt chunks are cached for others at once: any step that reads them runs after this one.
    for (const Scheduled& sch : plan->scheduled)
      if (sch.begin < sch.req->prompt_len() && !sch.req->finished) CacheUnfinished(*sch.req);
    in_flight_ = std::move(plan);
  } else {
    spare_plan_ = std::move(plan);
  }
  const bool finished_previous = previous != nullptr;
  if (previous) FinishStep(std::move(previous));
  if (in_flight_ && !in_flight_->plan_ahead) {
    std::unique_ptr<StepPlan> current = std::move(in_flight_);
    WaitForward(*current);
    FinishStep(std::move(current));
  }
  if (!runs && !finished_previous) return HandleIdle();
  const int64_t step_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  // The thread's own work is the same whether it overlaps the forward pass or not.
  host_ns_per_step_ += (static_cast<double>(step_ns - step_forward_ns_) - host_ns_per_step_) / 8;
  // The step before its forward time: a reader that loads forward_ns first never sees a
  // step's forward time without the step.
  ++stats_.steps;
  stats_.step_ns += step_ns;
  stats_.forward_ns += step_forward_ns_;
  return true;
}

Status Scheduler::CheckInvariants() const {
  SGL_RETURN_IF_ERROR(allocator_.CheckInvariants());
  SGL_RETURN_IF_ERROR(cache_.CheckInvariants());
  const int64_t page = options_.page_size;
  int64_t held = 0;
  for (const auto& r : running_) held += (r->num_computed() - r->cached_prefix_len + page - 1) / page * page;
  for (const auto& r : waiting_)
    if (!r->slots.empty()) return Status(StatusCode::kInternal, "a waiting request holds KV slots");
  const int64_t total = allocator_.free_slots() + cache_.total_tokens() + held;
  if (total != allocator_.capacity_slots())
    return Status(StatusCode::kInternal, fmt::format("KV accounting: free {} + cached {} + held {} != capacity {}",
                                                     allocator_.free_slots(), cache_.total_tokens(), held,
                                                     allocator_.capacity_slots()));
  return Status::Ok();
}

}  // namespace sgl
