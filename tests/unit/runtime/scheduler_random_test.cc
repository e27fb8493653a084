// Randomized scheduler test: 10,000 requests with short random prompts over a small
// alphabet (so prefixes collide and share cache), random max_new_tokens, about 20% aborted
// at random moments, and a KV cache small enough to force eviction and retraction. The KV
// accounting holds after every step; every request not aborted finishes with exactly the
// greedy output of its prompt run alone; FlushCache then leaves every slot free. With
// overlap scheduling forced on too (every eligible step built ahead), so aborts, eviction
// and retraction meet steps in flight.
#include <map>
#include <random>
#include <tuple>

#include <gtest/gtest.h>

#include "backend/cpu/cpu_backend.h"
#include "runtime/scheduler.h"
#include "testing/greedy_request.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

constexpr int kMaxNewTokens = 6;

// (page size, overlap scheduling forced on)
class RandomSchedulerTest : public ::testing::TestWithParam<std::tuple<int, bool>> {
 protected:
  void SetUp() override {
    auto model = LoadModel(testing::SourcePath("tests/fixtures/models/llama/model.gguf"), backend_);
    ASSERT_TRUE(model.ok()) << model.status().message();
    model_ = std::move(model).value();
  }

  // The greedy output of `prompt` run alone, kMaxNewTokens long (memoized).
  const std::vector<int32_t>& Alone(const std::vector<int32_t>& prompt) {
    auto it = alone_.find(prompt);
    if (it != alone_.end()) return it->second;
    if (!reference_) {
      SchedulerOptions o;
      o.max_total_tokens = 256;
      reference_ = std::move(Scheduler::Create(*model_, o)).value();
    }
    auto req = testing::GreedyRequest(0, prompt, kMaxNewTokens);
    reference_->Submit(req);
    while (reference_->Step()) {
    }
    return alone_[prompt] = req->output_ids;
  }

  CpuBackend backend_{1};
  std::unique_ptr<Model> model_;
  std::unique_ptr<Scheduler> reference_;
  std::map<std::vector<int32_t>, std::vector<int32_t>> alone_;
};

TEST_P(RandomSchedulerTest, TenThousandRequestsWithAbortsAndEviction) {
  std::mt19937_64 rng(2026);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  SchedulerOptions o;
  o.max_total_tokens = 96;  // ~8 requests' worth: eviction and retraction are frequent
  o.max_running_requests = 32;
  o.chunked_prefill_size = 4;
  o.max_prefill_tokens = 16;
  const auto [page_size, overlap] = GetParam();
  o.page_size = page_size;
  if (overlap) o.plan_ahead_min_host_us = 0;
  auto scheduler = Scheduler::Create(*model_, o);
  ASSERT_TRUE(scheduler.ok());
  Scheduler& s = **scheduler;

  constexpr int kRequests = 10000;
  std::vector<std::shared_ptr<Request>> reqs;
  std::vector<bool> aborted(kRequests, false);
  std::vector<int> done(kRequests, 0);
  std::multimap<int, uint64_t> abort_at;  // step -> request
  int submitted = 0, finished = 0, retractions = 0, step = 0;
  while (finished < kRequests) {
    // Keep about 48 requests in flight; abort ~20% at a random later moment.
    while (submitted < kRequests && submitted - finished < 48) {
      std::vector<int32_t> prompt(uniform(1, 5));
      for (int32_t& t : prompt) t = 10 + uniform(0, 2);
      reqs.push_back(testing::GreedyRequest(submitted, prompt, uniform(1, kMaxNewTokens)));
      reqs.back()->on_update = [&done, &finished](const Request& r, std::optional<int32_t>, bool end) {
        if (!end) return;
        ++done[r.id];
        ++finished;
      };
      s.Submit(reqs.back());
      if (uniform(0, 99) < 25) abort_at.emplace(step + uniform(0, 3), submitted);  // waiting, running or done by then
      ++submitted;
    }
    for (auto it = abort_at.begin(); it != abort_at.end() && it->first <= step; it = abort_at.erase(it)) {
      if (done[it->second] == 0) aborted[it->second] = true;
      s.Abort(it->second);  // a finished request's abort is a no-op
    }
    s.Step();
    ++step;
    ASSERT_TRUE(s.CheckInvariants().ok()) << s.CheckInvariants().message();
  }
  int num_aborted = 0;
  for (int i = 0; i < kRequests; ++i) {
    const Request& r = *reqs[i];
    ASSERT_EQ(done[i], 1) << "request " << i << " finished " << done[i] << " times";
    retractions += r.num_retractions;
    if (r.finish_reason.type == FinishReason::Type::kAbort) {
      EXPECT_TRUE(aborted[i]) << "request " << i << ": " << r.finish_reason.message;
      ++num_aborted;
      continue;
    }
    const std::vector<int32_t>& alone = Alone(r.input_ids);
    const std::vector<int32_t> expected(alone.begin(), alone.begin() + r.params.max_new_tokens);
    EXPECT_EQ(r.output_ids, expected) << "request " << i;
  }
  RecordProperty("steps", step);
  RecordProperty("aborted", num_aborted);
  RecordProperty("retractions", retractions);
  EXPECT_GT(num_aborted, kRequests * 15 / 100);
  EXPECT_GT(retractions, 0);
  if (overlap) {
    EXPECT_GT(s.stats().steps_planned_ahead.load(), 0);
  }
  EXPECT_EQ(s.num_running(), 0);
  EXPECT_EQ(s.num_waiting(), 0);
  auto flushed = s.FlushCache();
  s.Step();
  ASSERT_TRUE(flushed.get().ok());
  ASSERT_TRUE(s.CheckInvariants().ok());
  EXPECT_EQ(s.stats().kv_used_tokens.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(PageSizesAndOverlap, RandomSchedulerTest,
                         ::testing::Combine(::testing::Values(1, 4), ::testing::Bool()));

}  // namespace
}  // namespace sgl
