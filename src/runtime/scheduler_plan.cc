// Scheduler, building one step: which running requests continue, which waiting ones
// are admitted, and the ForwardBatch with the logits rows each of them needs.
#include <algorithm>

#include "runtime/logits_processor.h"
#include "runtime/scheduler.h"
#include "runtime/scheduler_reasons.h"

namespace sgl {
namespace {

bool IsDecode(const Request& r) { return r.num_computed() >= r.prompt_len() && r.num_tokens() - r.num_computed() == 1; }

// Whether the backend draws r's next token (Backend::SampleRows, row_sampling.h: logits
// processing, the grammar's mask, top-k/p and min-p included); log-probabilities and
// prompt logits need the row on the host.
bool SamplesOnDevice(const Request& r) {
  return !r.logprob.return_logprob && !r.want_prompt_logits && (r.grammar || !r.params.IsConstrained());
}

// Whether r's next step needs nothing from this one's results but the token drawn on the
// device: sampled there, with no grammar and no penalties (whose edits count the tokens).
bool NeedsOnlyItsToken(const Request& r) {
  const SamplingParams& p = r.params;
  return SamplesOnDevice(r) && !r.grammar && p.repetition_penalty == 1.0f && p.frequency_penalty == 0.0f &&
         p.presence_penalty == 0.0f;
}

int64_t CommonPrefixLength(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return ia - a.begin();
}

}  // namespace

// How the backend draws r's next token; appends r's logits processing to `edits`.
RowSampling Scheduler::DeviceSampling(Request& r, std::vector<LogitEdit>& edits) {
  RowSampling s;
  if (!r.params.IsGreedy()) {
    s.temperature = r.params.temperature;
    s.seed = r.sampler->NextSeed();
    s.top_k = r.params.top_k;
    s.top_p = r.params.top_p;
    s.min_p = r.params.min_p;
  }
  s.edit_begin = static_cast<int32_t>(edits.size());
  AppendLogitEdits(r.params, r.input_ids, r.output_ids, model_.config().eos_token_ids, model_.config().vocab_size,
                   r.penalty_tokens, &edits);
  s.edit_end = static_cast<int32_t>(edits.size());
  return s;
}

bool Scheduler::PlansAhead(const StepPlan& plan) const {
  if (plan.batch.late_token_masks) return false;
  return std::all_of(plan.scheduled.begin(), plan.scheduled.end(),
                     [](const Scheduled& sch) { return NeedsOnlyItsToken(*sch.req); });
}

int64_t Scheduler::PrefillChunk(const Request& req, int64_t prefill_budget) const {
  const int64_t chunk = options_.chunked_prefill_size > 0 ? options_.chunked_prefill_size : INT64_MAX;
  return std::min({req.num_tokens() - req.num_computed(), chunk, prefill_budget});
}

// Logits rows, by token position (row p holds the logits that predict token p + 1):
//
//   [0 ........ begin ............. begin + n)       the new tokens of this step
//        rows: [prompt rows for missing logprobs][the last new token, if it completes]
//
// Prompt rows are the positions p in the chunk with p + 1 a prompt position whose logprob
// is missing; they end where the sampling row (the last prompt token) begins, so all rows
// of a request are consecutive positions.
Status Scheduler::Schedule(StepPlan& plan, RunningIt it, int64_t n) {
  Request& r = **it;
  const bool decode = IsDecode(r);
  const int64_t begin = r.num_computed();
  if (images_ && !r.images.empty()) SGL_RETURN_IF_ERROR(images_->CheckRows(r, begin, n));
  (void)allocator_.Allocate(n, r.slots);
  const bool completes = begin + n == r.num_tokens();
  int64_t row_begin = begin + n, row_end = begin + n;
  if (r.want_prompt_logits) {
    row_begin = begin;
  } else {
    const int64_t next_logprob = r.NextInputLogprobPosition();
    if (next_logprob < r.prompt_len()) {
      row_begin = std::max(begin, next_logprob - 1);
      row_end = std::max(row_begin, std::min(begin + n, r.prompt_len() - 1));
    }
    if (completes) {
      row_begin = std::min(row_begin, begin + n - 1);
      row_end = begin + n;
    }
  }
  ForwardBatch& batch = plan.batch;
  const size_t first_row = batch.logit_rows.size();
  const int32_t first_token = static_cast<int32_t>(batch.num_tokens());
  std::vector<int32_t> ids = r.Tokens(begin, begin + n);
  if (!r.images.empty())
    for (int64_t i = 0; i < n; ++i) ids[i] = r.ModelTokenAt(begin + i);  // pad ids -> the image token
  batch.AddSequence(ids, r.slots, /*want_logits=*/false);
  if (images_) images_->AddToBatch(r, begin, n, first_token, batch);
  for (int64_t p = row_begin; p < row_end; ++p) {
    batch.logit_rows.push_back(first_token + static_cast<int32_t>(p - begin));
    // Prompt rows feed prompt logits and logprobs; the sampling row may need only the
    // token drawn on the device.
    const bool on_device = completes && p == row_end - 1 && SamplesOnDevice(r);
    batch.host_logit_rows.push_back(on_device ? 0 : 1);
    batch.sampling.push_back(on_device ? DeviceSampling(r, batch.logit_edits) : RowSampling{});
  }
  plan.scheduled.push_back({it, *it, begin, n, first_row, row_begin, row_end - row_begin, completes});
  if (!decode) {
    if (begin < r.prompt_len()) ++r.prefill_chunks;
    plan.prefill_budget -= n;
    stats_.computed_prompt_tokens += std::max<int64_t>(0, std::min(begin + n, r.prompt_len()) - begin);
  }
  return Status::Ok();
}

void Scheduler::ScheduleRunning(StepPlan& plan, bool may_retract) {
  // Decodes always run; prefill chunks as the budget allows. When KV runs out, the newest
  // running request (never one already in this batch) goes back to wait.
  for (auto it = running_.begin(); it != running_.end();) {
    Request& r = **it;
    const int64_t n = IsDecode(r) ? 1 : PrefillChunk(r, plan.prefill_budget);
    if (n <= 0) {
      ++it;
      continue;
    }
    if (EnsureFree(r.num_computed(), n)) {
      const RunningIt next = std::next(it);
      if (Status s = Schedule(plan, it, n); !s.ok()) Finish(it, Aborted(s.message()));
      it = next;
      continue;
    }
    if (!may_retract) {
      ++it;  // waits for a step that may retract
      continue;
    }
    auto victim = std::prev(running_.end());
    const bool victim_is_this = victim == it;
    Retract(victim);
    if (victim_is_this) break;
  }
}

bool Scheduler::SharesPromptBeingComputed(const Request& req) const {
  if (options_.disable_radix_cache || req.want_prompt_logits) return false;
  const int64_t page = options_.page_size;
  for (const auto& other : running_) {
    if (other->want_prompt_logits) continue;
    // A running request's computed prompt is cached after each step, so whatever it
    // shares with `req` beyond req's cached match is being computed now or soon.
    int64_t shared = std::min(CommonPrefixLength(req.input_ids, other->input_ids), req.prompt_len() - 1);
    if (req.NextInputLogprobPosition() < req.prompt_len()) shared = std::min(shared, req.NextInputLogprobPosition() - 1);
    if (shared / page * page - req.cached_prefix_len >= kInBatchPrefixMinTokens) return true;
  }
  return false;
}

void Scheduler::AdmitWaiting(StepPlan& plan) {
  if (plan.prefill_budget <= 0 || static_cast<int>(running_.size()) >= options_.max_running_requests) return;
  OrderWaitingQueue(options_.policy, waiting_, options_.disable_radix_cache ? nullptr : &cache_, rng_);
  for (auto wit = waiting_.begin(); wit != waiting_.end();) {
    if (plan.prefill_budget <= 0 || static_cast<int>(running_.size()) >= options_.max_running_requests) break;
    std::shared_ptr<Request> req = *wit;
    Admit(*req);
    if (SharesPromptBeingComputed(*req)) {
      Release(*req);
      ++wit;
      continue;
    }
    const int64_t n = PrefillChunk(*req, plan.prefill_budget);
    if (!EnsureFree(req->num_computed(), n)) {
      Release(*req);
      break;
    }
    wit = waiting_.erase(wit);
    if (req->num_retractions == 0) {
      stats_.prompt_tokens += req->prompt_len();
      stats_.cached_prompt_tokens += req->cached_tokens;
    }
    running_.push_back(req);
    if (Status s = Schedule(plan, std::prev(running_.end()), n); !s.ok()) Finish(std::prev(running_.end()), Aborted(s.message()));
  }
}

bool Scheduler::HandleIdle() {
  if (!running_.empty() || waiting_.empty()) return false;
  // Nothing runs and the first request still does not fit: it never will.
  std::shared_ptr<Request> req = waiting_.front();
  waiting_.pop_front();
  Deliver(req, Aborted(fmt::format("the request needs more KV cache than the {} tokens there are",
                                   allocator_.capacity_slots())),
          std::nullopt);
  return true;
}

}  // namespace sgl
