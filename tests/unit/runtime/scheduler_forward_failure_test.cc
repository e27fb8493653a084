// A forward pass that fails (as on a device error) leaves the KV it was writing in doubt.
// The scheduler must abort the requests running when it fails (with overlap, also those
// admitted into the step built on top of it) with the pass's error, never let a pass read
// KV the failed one wrote (through the prefix cache or otherwise), and go on serving:
// requests sharing the failed prompt afterwards get exactly the tokens a fresh scheduler
// gives, with overlap scheduling on and off; the KV accounting holds after every step and
// every slot comes back.
#include <atomic>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "runtime/scheduler.h"
#include "testing/greedy_request.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

constexpr const char* kModelPath = "tests/fixtures/models/llama/model.gguf";

// A model over another that, once armed, fails its next pass of more than one token (a
// prefill) the way a device error midway would: the pass's KV slots are written, but
// from the wrong tokens, and an error comes back. It counts the reads of those slots by
// later passes before any pass rewrote them. Forward runs on the scheduler's thread or
// its ForwardWorker's, one pass at a time; the other methods may be called from any thread.
class FailingModel final : public Model {
 public:
  FailingModel(std::unique_ptr<ModelFiles> files, Model& inner) : Model(std::move(files)), inner_(inner) {}

  void ArmFailure() { armed_ = true; }
  int num_failures() const { return num_failures_; }
  int num_garbage_reads() const { return num_garbage_reads_; }

  Status Forward(const ForwardBatch& batch, ForwardOutput* out) override {
    CountGarbageReads(batch);
    if (batch.num_tokens() <= 1 || !armed_.exchange(false)) return inner_.Forward(batch, out);
    ++num_failures_;
    ForwardBatch wrong_tokens = batch;
    for (int32_t& id : wrong_tokens.input_ids) id = static_cast<int32_t>((id + 1) % config().vocab_size);
    (void)inner_.Forward(wrong_tokens, out);
    garbage_slots_.insert(batch.out_kv_slots.begin(), batch.out_kv_slots.end());
    return Status(StatusCode::kInternal, "injected device error");
  }
  Status CreateKvCache(int64_t num_slots) override { return inner_.CreateKvCache(num_slots); }
  std::optional<DeviceMemory> QueryDeviceMemory() const override { return inner_.QueryDeviceMemory(); }
  size_t KvBytesPerSlot() const override { return inner_.KvBytesPerSlot(); }
  std::string BackendName() const override { return inner_.BackendName(); }

 private:
  Model& inner_;
  std::atomic<bool> armed_{false};
  std::atomic<int> num_failures_{0};
  std::atomic<int> num_garbage_reads_{0};
  std::set<int32_t> garbage_slots_;  // written by the failed pass, not since

  // A pass reads its sequences' page tables; it writes its new tokens' slots first.
  void CountGarbageReads(const ForwardBatch& batch) {
    const std::set<int32_t> written(batch.out_kv_slots.begin(), batch.out_kv_slots.end());
    for (int32_t slot : batch.kv_slots)
      if (garbage_slots_.contains(slot) && !written.contains(slot)) ++num_garbage_reads_;
    for (int32_t slot : written) garbage_slots_.erase(slot);
  }
};

struct Case {
  bool overlap;
  int page;
};

void PrintTo(const Case& c, std::ostream* os) { *os << "overlap=" << c.overlap << " page=" << c.page; }

class SchedulerForwardFailureTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    auto inner = LoadModel(testing::SourcePath(kModelPath), backend_);
    ASSERT_TRUE(inner.ok()) << inner.status().message();
    inner_ = std::move(*inner);
    auto files = ModelFiles::Open(testing::SourcePath(kModelPath));
    ASSERT_TRUE(files.ok()) << files.status().message();
    model_ = std::make_unique<FailingModel>(std::move(*files), *inner_);
    const auto ref = nlohmann::json::parse(
        testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/models/llama/reference.json")));
    prompts_ = ref.at("prompts").get<std::vector<std::vector<int32_t>>>();
  }

  // Only one scheduler at a time: each (re)creates the model's KV cache.
  std::unique_ptr<Scheduler> NewScheduler() {
    SchedulerOptions options;
    options.max_total_tokens = 512;
    options.page_size = GetParam().page;
    options.max_running_requests = 3;
    options.disable_overlap_schedule = !GetParam().overlap;
    options.plan_ahead_min_host_us = 0;  // build every step it can ahead
    auto scheduler = Scheduler::Create(*model_, options);
    EXPECT_TRUE(scheduler.ok()) << scheduler.status().message();
    return scheduler.ok() ? std::move(*scheduler) : nullptr;
  }

  // One step, then the KV accounting; returns whether the step did anything.
  static bool StepChecked(Scheduler& scheduler) {
    const bool worked = scheduler.Step();
    const Status s = scheduler.CheckInvariants();
    EXPECT_TRUE(s.ok()) << s.message();
    return worked && s.ok();
  }

  static void RunToEnd(Scheduler& scheduler) {
    for (int steps = 0; StepChecked(scheduler); ++steps) ASSERT_LT(steps, 10000);
    EXPECT_EQ(scheduler.num_running(), 0);
    EXPECT_EQ(scheduler.num_waiting(), 0);
  }

  // The tokens `prompt` gets alone on a fresh scheduler.
  std::vector<int32_t> FreshTokens(const std::vector<int32_t>& prompt, int64_t max_new_tokens) {
    std::unique_ptr<Scheduler> scheduler = NewScheduler();
    if (!scheduler) return {};
    auto req = testing::GreedyRequest(100, prompt, max_new_tokens);
    scheduler->Submit(req);
    RunToEnd(*scheduler);
    return req->output_ids;
  }

  static void ExpectAbortedByFailedPass(const Request& r) {
    EXPECT_TRUE(r.finished) << "request " << r.id;
    EXPECT_EQ(r.finish_reason.type, FinishReason::Type::kAbort) << "request " << r.id;
    EXPECT_EQ(r.finish_reason.message, "the forward pass failed: injected device error") << "request " << r.id;
  }

  static void ExpectCompleted(const Request& r, const std::vector<int32_t>& tokens) {
    EXPECT_TRUE(r.finished) << "request " << r.id;
    EXPECT_EQ(r.finish_reason.type, FinishReason::Type::kLength) << "request " << r.id << ": "
                                                                  << r.finish_reason.message;
    EXPECT_EQ(r.output_ids, tokens) << "request " << r.id << " differs from a fresh scheduler's output";
  }

  CpuBackend backend_{2};
  std::unique_ptr<Model> inner_;
  std::unique_ptr<FailingModel> model_;
  std::vector<std::vector<int32_t>> prompts_;
};

TEST_P(SchedulerForwardFailureTest, AbortsWhatThePassTouchedAndServesOn) {
  const std::vector<int32_t>& shared = prompts_[2];  // 17 tokens
  const std::vector<int32_t> fresh = FreshTokens(shared, 8);
  ASSERT_EQ(fresh.size(), 8u);
  std::unique_ptr<Scheduler> scheduler = NewScheduler();
  ASSERT_NE(scheduler, nullptr);

  auto decoding = testing::GreedyRequest(0, prompts_[0], 16);
  scheduler->Submit(decoding);
  for (int steps = 0; decoding->output_ids.size() < 2; ++steps) {
    ASSERT_TRUE(StepChecked(*scheduler));
    ASSERT_LT(steps, 100);
  }
  // The failing pass: decoding's next token and the whole of failed's prompt.
  model_->ArmFailure();
  auto failed = testing::GreedyRequest(1, shared, 8);
  scheduler->Submit(failed);
  ASSERT_TRUE(StepChecked(*scheduler));
  // With overlap that pass still runs: the next step is built on top of it, admitting
  // on_top (which finds failed's prompt cached) while later waits for a place.
  auto on_top = testing::GreedyRequest(2, shared, 8);
  auto later = testing::GreedyRequest(3, shared, 8);
  scheduler->Submit(on_top);
  scheduler->Submit(later);
  RunToEnd(*scheduler);

  EXPECT_EQ(model_->num_failures(), 1);
  EXPECT_EQ(model_->num_garbage_reads(), 0) << "a pass read KV that the failed pass wrote";
  ExpectAbortedByFailedPass(*decoding);
  ExpectAbortedByFailedPass(*failed);
  if (GetParam().overlap) {
    ExpectAbortedByFailedPass(*on_top);
    EXPECT_GT(scheduler->stats().steps_planned_ahead, 0);
  } else {
    ExpectCompleted(*on_top, fresh);
  }
  ExpectCompleted(*later, fresh);

  auto after = testing::GreedyRequest(4, shared, 8);
  scheduler->Submit(after);
  RunToEnd(*scheduler);
  ExpectCompleted(*after, fresh);

  // Every slot came back exactly once: with the cache flushed, none is in use.
  std::future<Status> flushed = scheduler->FlushCache();
  (void)scheduler->Step();
  const Status flush = flushed.get();
  EXPECT_TRUE(flush.ok()) << flush.message();
  EXPECT_TRUE(scheduler->CheckInvariants().ok()) << scheduler->CheckInvariants().message();
  EXPECT_EQ(scheduler->stats().kv_used_tokens, 0);
}

INSTANTIATE_TEST_SUITE_P(Configurations, SchedulerForwardFailureTest,
                         ::testing::Values(Case{false, 1}, Case{true, 1}, Case{false, 4}, Case{true, 4}));

}  // namespace
}  // namespace sgl
