// Scheduler, overlap scheduling: the forward pass of one step runs on the ForwardWorker
// while the scheduler thread builds the next step, then processes the first one's results
// while the next one runs. See scheduler.h for the placeholders this needs.
#include <algorithm>
#include <chrono>

#include "backend/late_token_masks.h"
#include "runtime/scheduler.h"
#include "runtime/scheduler_reasons.h"

namespace sgl {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NanosecondsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

}  // namespace

bool Scheduler::AddPendingTokens(StepPlan& in_flight) {
  for (const Scheduled& sch : in_flight.scheduled) {
    Request& r = *sch.req;
    if (!sch.completes || r.finished) continue;
    // A token that ends the request by its length needs no step after it.
    if (static_cast<int64_t>(r.output_ids.size()) + 1 >= r.params.max_new_tokens ||
        r.num_tokens() + 1 >= allocator_.capacity_slots())
      continue;
    const size_t row = sch.first_row + static_cast<size_t>(sch.num_rows) - 1;
    r.output_ids.push_back(-1 - static_cast<int32_t>(row));
    in_flight.pending.push_back(sch.req);
  }
  // Every running request's next tokens must fit, evicting cached prefixes if need be:
  // retracting one would drop a step still running.
  const int64_t chunk = options_.chunked_prefill_size > 0 ? options_.chunked_prefill_size : INT64_MAX;
  int64_t pages = 0;
  for (const auto& r : running_) {
    const int64_t n = std::min(r->num_tokens() - r->num_computed(), chunk);
    if (n > 0) pages += allocator_.PagesNeeded(r->num_computed(), n);
  }
  if (EnsureFree(0, pages * options_.page_size)) return true;
  RemovePendingTokens(in_flight);
  return false;
}

void Scheduler::RemovePendingTokens(StepPlan& in_flight) {
  for (const std::shared_ptr<Request>& r : in_flight.pending)
    if (!r->output_ids.empty() && r->output_ids.back() < 0) r->output_ids.pop_back();
  in_flight.pending.clear();
}

void Scheduler::StartForward(StepPlan& plan) {
  if (plan.plan_ahead) {
    worker_->Start(plan.batch, plan.output);
    return;
  }
  const Clock::time_point start = Clock::now();
  plan.forward_status = model_.Forward(plan.batch, plan.output);
  step_forward_ns_ += NanosecondsSince(start);
}

void Scheduler::WaitForward(StepPlan& plan) {
  if (!plan.plan_ahead) return;  // ran on this thread
  const Clock::time_point start = Clock::now();
  plan.forward_status = worker_->Wait();
  step_forward_ns_ += NanosecondsSince(start);
}

void Scheduler::FinishStep(std::unique_ptr<StepPlan> plan) {
  if (!plan->forward_status.ok()) {
    RecoverFromFailedForward(plan->forward_status);
  } else {
    // Rows sampled on the host need their masks even when the backend sampled none.
    if (plan->batch.late_token_masks) (void)plan->batch.late_token_masks->Get();
    ProcessResults(*plan);
  }
  plan->scheduled.clear();  // lets its requests go
  plan->batch.late_token_masks.reset();
  spare_plan_ = std::move(plan);
}

void Scheduler::RecoverFromFailedForward(const Status& failure) {
  // Which slots the pass wrote, and with what, is unknown; a device error may also have
  // hit KV that running requests computed before. So every running request ends, and
  // then, nothing being locked, every cached prefix goes: the pass's prompt chunks were
  // cached when it started, and the aborted requests' tokens when they were released.
  const std::string message = fmt::format("the forward pass failed: {}", failure.message());
  while (!running_.empty()) Finish(running_.begin(), Aborted(message));
  cache_.Evict(cache_.evictable_tokens(), [&](std::span<const int32_t> slots) { (void)allocator_.Free(slots); });
}

std::unique_ptr<Scheduler::StepPlan> Scheduler::NewPlan() {
  std::unique_ptr<StepPlan> plan = spare_plan_ ? std::move(spare_plan_) : std::make_unique<StepPlan>();
  plan->batch.Clear();
  plan->scheduled.clear();
  plan->pending.clear();
  plan->prefill_budget = options_.max_prefill_tokens;
  plan->output = nullptr;
  plan->forward_status = Status::Ok();
  plan->plan_ahead = false;
  return plan;
}

}  // namespace sgl
