// Overlap scheduling changes no output: the same requests (greedy and seeded sampling,
// stop tokens met mid-way, lengths from 1 token on, penalties that need each step's
// results first) give the same tokens and finish reasons with the next step built while
// the last one runs as without, across radix cache, chunking, page size and a KV cache
// small enough to retract; the KV accounting holds after every step; and steps were
// really built ahead.
#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "runtime/scheduler.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

struct Case {
  bool radix;
  int64_t chunk;
  int page;
  int64_t kv_tokens;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << "radix=" << c.radix << " chunk=" << c.chunk << " page=" << c.page << " kv=" << c.kv_tokens;
}

struct Outcome {
  std::vector<int32_t> tokens;
  FinishReason::Type reason;
};

struct WorkloadRun {
  std::vector<Outcome> outcomes;
  int64_t steps_planned_ahead = 0;
  int retractions = 0;
};

class SchedulerOverlapTest : public ::testing::TestWithParam<Case> {
 protected:
  // Runs the workload to the end; fails the test on a broken invariant.
  WorkloadRun RunWorkload(bool overlap) {
    const auto ref = nlohmann::json::parse(
        testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/models/llama/reference.json")));
    const auto prompts = ref.at("prompts").get<std::vector<std::vector<int32_t>>>();
    const auto greedy = ref.at("greedy").get<std::vector<std::vector<int32_t>>>();
    const Case& c = GetParam();
    CpuBackend backend(2);
    auto model = LoadModel(testing::SourcePath("tests/fixtures/models/llama/model.gguf"), backend);
    EXPECT_TRUE(model.ok()) << model.status().message();
    if (!model.ok()) return {};
    SchedulerOptions options;
    options.max_total_tokens = c.kv_tokens;
    options.page_size = c.page;
    options.chunked_prefill_size = c.chunk;
    options.max_prefill_tokens = 2 * c.chunk;
    options.disable_radix_cache = !c.radix;
    options.disable_overlap_schedule = !overlap;
    options.plan_ahead_min_host_us = 0;  // this small model's steps leave little host work
    auto scheduler = Scheduler::Create(**model, options);
    EXPECT_TRUE(scheduler.ok()) << scheduler.status().message();
    if (!scheduler.ok()) return {};

    const int64_t lengths[] = {1, 2, 7, 32, 19};
    std::vector<std::shared_ptr<Request>> requests;
    for (int i = 0; i < 20; ++i) {
      const size_t p = static_cast<size_t>(i) % prompts.size();
      auto req = std::make_shared<Request>();
      req->id = static_cast<uint64_t>(i);
      req->input_ids = prompts[p];
      req->params.max_new_tokens = lengths[i % 5];
      req->params.ignore_eos = true;
      if (i % 3 == 1) {
        req->params.temperature = 0.8f;  // seeded: the same draws either way
      } else {
        req->params.temperature = 0;
      }
      if (i % 4 == 2) req->params.stop_token_ids = {greedy[p][3]};  // stops a few tokens in
      if (i % 7 == 5) req->params.frequency_penalty = 0.5f;         // its steps are not built ahead
      req->sampler = std::make_unique<Sampler>(1000 + i);
      requests.push_back(req);
      (*scheduler)->Submit(req);
    }
    int steps = 0;
    while ((*scheduler)->Step()) {
      const Status s = (*scheduler)->CheckInvariants();
      EXPECT_TRUE(s.ok()) << s.message();
      if (!s.ok() || ++steps > 100000) return {};
    }
    EXPECT_EQ((*scheduler)->num_running(), 0);
    EXPECT_EQ((*scheduler)->num_waiting(), 0);
    WorkloadRun run;
    for (const auto& r : requests) {
      EXPECT_TRUE(r->finished) << "request " << r->id;
      run.outcomes.push_back({r->output_ids, r->finish_reason.type});
      run.retractions += r->num_retractions;
    }
    run.steps_planned_ahead = (*scheduler)->stats().steps_planned_ahead;
    return run;
  }
};

TEST_P(SchedulerOverlapTest, SameOutputsAsWithoutOverlap) {
  const WorkloadRun plain = RunWorkload(false);
  const WorkloadRun overlapped = RunWorkload(true);
  ASSERT_EQ(plain.outcomes.size(), 20u);
  ASSERT_EQ(overlapped.outcomes.size(), 20u);
  EXPECT_EQ(plain.steps_planned_ahead, 0);
  EXPECT_GT(overlapped.steps_planned_ahead, 0);
  for (size_t i = 0; i < plain.outcomes.size(); ++i) {
    EXPECT_EQ(overlapped.outcomes[i].tokens, plain.outcomes[i].tokens) << "request " << i;
    EXPECT_EQ(overlapped.outcomes[i].reason, plain.outcomes[i].reason) << "request " << i;
  }
  if (GetParam().kv_tokens < 1000) {
    EXPECT_GT(plain.retractions, 0);
  }
  // Some requests stopped at a stop token, after which the overlapped run had computed a step more.
  EXPECT_TRUE(std::any_of(plain.outcomes.begin(), plain.outcomes.end(),
                          [](const Outcome& o) { return o.reason == FinishReason::Type::kStop; }));
}

INSTANTIATE_TEST_SUITE_P(Configurations, SchedulerOverlapTest,
                         ::testing::Values(Case{true, 512, 1, 4096},   // the defaults
                                           Case{false, 16, 1, 4096},   // cache off, chunked
                                           Case{true, 7, 4, 4096},     // pages of 4
                                           Case{true, 64, 1, 60},      // KV tight: retractions
                                           Case{false, 8, 2, 64}));   // the same without the cache

}  // namespace
}  // namespace sgl
