#include "runtime/scheduler.h"

#include <algorithm>

#include "runtime/logits_processor.h"

namespace sgl {
namespace {

FinishReason Aborted(std::string message) {
  return {.type = FinishReason::Type::kAbort, .message = std::move(message)};
}
FinishReason LengthReached(int64_t length) { return {.type = FinishReason::Type::kLength, .length = length}; }
FinishReason StoppedBy(int32_t token) { return {.type = FinishReason::Type::kStop, .matched_token = token}; }

}  // namespace

Result<std::unique_ptr<Scheduler>> Scheduler::Create(Model& model, Backend& backend, const SchedulerOptions& o) {
  if (o.page_size < 1) return InvalidArgument("page size must be >= 1, got {}", o.page_size);
  if (o.max_total_tokens < o.page_size)
    return InvalidArgument("KV capacity of {} tokens is less than one page", o.max_total_tokens);
  if (o.chunked_prefill_size == 0 || o.chunked_prefill_size < -1)
    return InvalidArgument("chunked prefill size must be >= 1, or -1 to disable chunking");
  if (o.max_prefill_tokens < 1) return InvalidArgument("max prefill tokens must be >= 1");
  if (o.max_running_requests < 1) return InvalidArgument("max running requests must be >= 1");
  const ModelConfig& c = model.config();
  SGL_RETURN_IF_ERROR(backend.CreateKvCache({c.num_layers, o.max_total_tokens, c.num_kv_heads, c.head_dim}));
  return std::unique_ptr<Scheduler>(new Scheduler(model, backend, o));
}

Scheduler::Scheduler(Model& model, Backend& backend, const SchedulerOptions& options)
    : model_(model),
      backend_(backend),
      options_(options),
      allocator_(options.max_total_tokens, options.page_size),
      cache_(options.page_size),
      rng_(options.random_seed) {}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Nobody may wait forever on a request the scheduler will never run.
  TakeIncoming();
  while (!running_.empty()) Finish(running_.begin(), Aborted("the engine is shutting down"));
  for (auto& req : waiting_) {
    req->finish_reason = Aborted("the engine is shutting down");
    if (req->on_update) req->on_update(*req, std::nullopt, true);
  }
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
                 !waiting_.empty();
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
  for (auto& flush : flushes) {
    // Checked before this round's new requests are queued, so a flush sent on an idle
    // engine always succeeds.
    if (!running_.empty() || !waiting_.empty()) {
      flush.set_value(InvalidArgument("cannot flush the cache: {} requests are running and {} waiting",
                                      running_.size(), waiting_.size()));
      continue;
    }
    cache_.Reset([&](std::span<const int32_t> slots) { (void)allocator_.Free(slots); });
    flush.set_value(Status::Ok());
  }
  for (auto& req : incoming) waiting_.push_back(std::move(req));
  for (uint64_t id : aborts) {
    auto waiting = std::find_if(waiting_.begin(), waiting_.end(), [&](const auto& r) { return r->id == id; });
    if (waiting != waiting_.end()) {
      auto req = *waiting;
      waiting_.erase(waiting);
      req->finish_reason = Aborted("aborted by request");
      if (req->on_update) req->on_update(*req, std::nullopt, true);
      continue;
    }
    auto running = std::find_if(running_.begin(), running_.end(), [&](const auto& r) { return r->id == id; });
    if (running != running_.end()) Finish(running, Aborted("aborted by request"));
  }
}

void Scheduler::Admit(Request& req) {
  if (options_.disable_radix_cache || req.want_prompt_logits) return;
  // The last token is always computed, so that its logits exist.
  RadixCache::Match match = cache_.MatchPrefix(req.Tokens(0, req.num_tokens() - 1));
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
  const int64_t n = req.num_computed();
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
  const int64_t n = req.num_computed();
  std::span<const int32_t> slots(req.slots);
  if (options_.disable_radix_cache) {
    (void)allocator_.Free(slots);
  } else {
    // Cache the whole pages computed; free the partial last page, which this request
    // alone owned.
    InsertIntoCache(req, n);
    const int64_t aligned = n / options_.page_size * options_.page_size;
    if (aligned < n) (void)allocator_.Free(slots.subspan(aligned));
    if (req.locked_node != nullptr) cache_.Unlock(req.locked_node);
  }
  req.slots.clear();
  req.cached_prefix_len = 0;
  req.locked_node = nullptr;
}

void Scheduler::Finish(std::list<std::shared_ptr<Request>>::iterator it, FinishReason reason) {
  std::shared_ptr<Request> req = *it;
  running_.erase(it);
  Release(*req);
  req->finish_reason = std::move(reason);
  if (req->on_update) req->on_update(*req, std::nullopt, true);
}

void Scheduler::Retract(std::list<std::shared_ptr<Request>>::iterator it) {
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
  stats_.num_running = static_cast<int>(running_.size());
  stats_.num_waiting = static_cast<int>(waiting_.size());
  stats_.kv_used_tokens = allocator_.capacity_slots() - allocator_.free_slots();
  return worked;
}

bool Scheduler::StepOnce() {
  TakeIncoming();
  using RunningIt = std::list<std::shared_ptr<Request>>::iterator;
  ForwardBatch batch;
  struct Scheduled {
    RunningIt it;
    int64_t first_position;  // prompt position of the first new token
    size_t first_row;        // its first row in batch.logit_rows
    size_t num_rows;
    bool completes;          // its last token is computed: sample from the last row
  };
  std::vector<Scheduled> scheduled;
  // Decodes always run; prefill tokens are limited per request (chunked_prefill_size) and
  // per step (max_prefill_tokens).
  int64_t prefill_budget = options_.max_prefill_tokens;
  auto prefill_chunk = [&](const Request& r) {
    const int64_t chunk = options_.chunked_prefill_size > 0 ? options_.chunked_prefill_size : INT64_MAX;
    return std::min({r.num_tokens() - r.num_computed(), chunk, prefill_budget});
  };
  auto is_decode = [](const Request& r) {
    return r.num_computed() >= static_cast<int64_t>(r.input_ids.size()) && r.num_tokens() - r.num_computed() == 1;
  };

  auto schedule = [&](RunningIt it, int64_t n) {
    Request& r = **it;
    const bool decode = is_decode(r);
    const int64_t begin = r.num_computed();
    (void)allocator_.Allocate(n, r.slots);  // REQUIRES: EnsureFree succeeded
    const bool completes = begin + n == r.num_tokens();
    const size_t first_row = batch.logit_rows.size();
    const int32_t first_token = static_cast<int32_t>(batch.num_tokens());
    batch.AddSequence(r.Tokens(begin, begin + n), r.slots, completes && !r.want_prompt_logits);
    if (r.want_prompt_logits)
      for (int32_t i = 0; i < n; ++i) batch.logit_rows.push_back(first_token + i);
    scheduled.push_back({it, begin, first_row, batch.logit_rows.size() - first_row, completes});
    if (!decode) prefill_budget -= n;
  };

  // Running requests first: decodes, and prefills that continue in chunks. When KV runs
  // out, the newest running request (never one already in this batch) goes back to wait.
  for (auto it = running_.begin(); it != running_.end();) {
    Request& r = **it;
    const int64_t n = is_decode(r) ? 1 : prefill_chunk(r);
    if (n <= 0) {
      ++it;
      continue;
    }
    if (EnsureFree(r.num_computed(), n)) {
      schedule(it, n);
      ++it;
      continue;
    }
    auto victim = std::prev(running_.end());
    const bool victim_is_this = victim == it;
    Retract(victim);
    if (victim_is_this) break;
  }

  // Then new requests in the policy's order, while the prefill budget and the KV cache allow.
  if (prefill_budget > 0 && static_cast<int>(running_.size()) < options_.max_running_requests)
    OrderWaitingQueue(options_.policy, waiting_, options_.disable_radix_cache ? nullptr : &cache_, rng_);
  while (prefill_budget > 0 && !waiting_.empty() &&
         static_cast<int>(running_.size()) < options_.max_running_requests) {
    auto wit = waiting_.begin();
    std::shared_ptr<Request> req = *wit;
    Admit(*req);
    const int64_t n = prefill_chunk(*req);
    if (!EnsureFree(req->num_computed(), n)) {
      Release(*req);
      break;
    }
    waiting_.erase(wit);
    if (req->num_retractions == 0) {
      stats_.prompt_tokens += static_cast<int64_t>(req->input_ids.size());
      stats_.cached_prompt_tokens += req->cached_tokens;
    }
    running_.push_back(req);
    schedule(std::prev(running_.end()), n);
  }

  if (batch.num_tokens() == 0) {
    if (running_.empty() && !waiting_.empty()) {
      // Nothing runs and the first request still does not fit: it never will.
      std::shared_ptr<Request> req = waiting_.front();
      waiting_.pop_front();
      req->finish_reason = Aborted(fmt::format("the request needs more KV cache than the {} tokens there are",
                                               allocator_.capacity_slots()));
      if (req->on_update) req->on_update(*req, std::nullopt, true);
      return true;
    }
    return false;
  }

  if (Status s = model_.Forward(batch, &logits_); !s.ok()) {
    for (const Scheduled& sch : scheduled) Finish(sch.it, Aborted(fmt::format("the forward pass failed: {}", s.message())));
    return true;
  }
  const size_t vocab = static_cast<size_t>(model_.config().vocab_size);
  for (const Scheduled& sch : scheduled) {
    Request& r = **sch.it;
    if (r.want_prompt_logits) {
      const int64_t prompt_len = static_cast<int64_t>(r.input_ids.size());
      const size_t rows = static_cast<size_t>(std::max<int64_t>(0, std::min<int64_t>(sch.num_rows, prompt_len - sch.first_position)));
      const float* first = logits_.data() + sch.first_row * vocab;
      r.prompt_logits.insert(r.prompt_logits.end(), first, first + rows * vocab);
    }
    if (sch.first_position < static_cast<int64_t>(r.input_ids.size())) CacheUnfinished(r);
    if (!sch.completes) continue;
    RunningIt it = sch.it;
    const size_t row = sch.first_row + sch.num_rows - 1;
    if (static_cast<int64_t>(r.output_ids.size()) >= r.params.max_new_tokens) {
      Finish(it, LengthReached(r.params.max_new_tokens));  // max_new_tokens == 0: the prompt only
      continue;
    }
    std::span<float> row_logits(logits_.data() + row * vocab, vocab);
    ApplyLogitsProcessing(row_logits, r.params, r.input_ids, r.output_ids, model_.config().eos_token_ids);
    const int32_t token = r.sampler->Sample(row_logits, r.params);
    r.output_ids.push_back(token);
    const bool stop = ShouldStop(r, token);
    const bool length = static_cast<int64_t>(r.output_ids.size()) >= r.params.max_new_tokens ||
                        r.num_tokens() >= allocator_.capacity_slots();
    if (!stop && !length) {
      if (r.on_update) r.on_update(r, token, false);
      continue;
    }
    std::shared_ptr<Request> req = *it;
    running_.erase(it);
    Release(*req);
    req->finish_reason = stop ? StoppedBy(token) : LengthReached(static_cast<int64_t>(req->output_ids.size()));
    if (req->on_update) req->on_update(*req, token, true);
  }
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
