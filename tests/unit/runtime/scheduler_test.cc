// The scheduler against transformers' greedy outputs on a fixture model: every
// combination of radix cache on/off, chunked prefill, page size, batch size and a KV
// cache small enough to force retractions must give each request exactly the reference
// tokens, keep the KV accounting exact after every step, and end with nothing held.
#include "runtime/scheduler.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

struct Case {
  bool radix;
  int64_t chunk;
  int page;
  int copies;          // requests per reference prompt
  int64_t kv_tokens;   // KV capacity
  SchedulePolicy policy;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << "radix=" << c.radix << " chunk=" << c.chunk << " page=" << c.page << " copies=" << c.copies
      << " kv=" << c.kv_tokens << " policy=" << static_cast<int>(c.policy);
}

class SchedulerTest : public ::testing::TestWithParam<Case> {};

TEST_P(SchedulerTest, GreedyOutputsMatchTransformers) {
  const Case& c = GetParam();
  const auto ref = nlohmann::json::parse(
      testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/models/llama/reference.json")));
  const auto prompts = ref.at("prompts").get<std::vector<std::vector<int32_t>>>();
  const auto greedy = ref.at("greedy").get<std::vector<std::vector<int32_t>>>();

  CpuBackend backend(2);
  auto model = LoadModel(testing::SourcePath("tests/fixtures/models/llama/model.gguf"), backend);
  ASSERT_TRUE(model.ok()) << model.status().message();
  SchedulerOptions options;
  options.max_total_tokens = c.kv_tokens;
  options.page_size = c.page;
  options.chunked_prefill_size = c.chunk;
  options.max_prefill_tokens = 2 * c.chunk;  // a step mixes a few prefill chunks
  options.disable_radix_cache = !c.radix;
  options.policy = c.policy;
  auto scheduler = Scheduler::Create(**model, options);
  ASSERT_TRUE(scheduler.ok()) << scheduler.status().message();

  std::vector<std::shared_ptr<Request>> requests;
  int finished = 0;
  for (int copy = 0; copy < c.copies; ++copy) {
    for (size_t p = 0; p < prompts.size(); ++p) {
      auto req = std::make_shared<Request>();
      req->id = requests.size();
      req->input_ids = prompts[p];
      req->params.temperature = 0;
      req->params.ignore_eos = true;
      req->params.max_new_tokens = 32;
      req->sampler = std::make_unique<Sampler>(0);
      std::vector<int32_t> streamed;
      req->on_update = [&finished, streamed, p, &greedy](const Request& r, std::optional<int32_t> token,
                                                         bool done) mutable {
        if (token) streamed.push_back(*token);
        if (!done) return;
        ++finished;
        EXPECT_EQ(r.finish_reason.type, FinishReason::Type::kLength);
        EXPECT_EQ(streamed, r.output_ids) << "streamed tokens differ from the final output";
        EXPECT_EQ(r.output_ids, greedy[p]) << "request " << r.id << " (prompt " << p << ")";
      };
      requests.push_back(req);
      (*scheduler)->Submit(req);
    }
  }
  int steps = 0;
  while ((*scheduler)->Step()) {
    ASSERT_TRUE((*scheduler)->CheckInvariants().ok()) << (*scheduler)->CheckInvariants().message();
    ASSERT_LT(++steps, 100000);
  }
  EXPECT_EQ(finished, static_cast<int>(requests.size()));
  EXPECT_EQ((*scheduler)->num_running(), 0);
  EXPECT_EQ((*scheduler)->num_waiting(), 0);
  int retractions = 0;
  for (const auto& r : requests) retractions += r->num_retractions;
  if (c.kv_tokens < 200) {
    EXPECT_GT(retractions, 0) << "the small KV cache should have forced retractions";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Configurations, SchedulerTest,
    ::testing::Values(Case{true, 512, 1, 1, 4096, SchedulePolicy::kFcfs},   // batch of 3, cache on
                      Case{false, 512, 1, 1, 4096, SchedulePolicy::kFcfs},  // cache off
                      Case{true, 64, 1, 11, 4096, SchedulePolicy::kLpm},    // 33 requests, shared prompts
                      Case{false, 5, 1, 11, 4096, SchedulePolicy::kFcfs},   // tiny chunks
                      Case{true, 7, 4, 4, 4096, SchedulePolicy::kFcfs},     // pages of 4
                      Case{true, 64, 1, 4, 120, SchedulePolicy::kFcfs},     // KV too small: retractions
                      Case{false, 64, 4, 4, 120, SchedulePolicy::kFcfs},
                      Case{true, 64, 1, 6, 4096, SchedulePolicy::kDfsWeight},
                      Case{true, 64, 1, 6, 4096, SchedulePolicy::kLof},
                      Case{true, 16, 1, 6, 300, SchedulePolicy::kRandom}));

TEST(SchedulerAbortTest, AbortFreesEverything) {
  CpuBackend backend(1);
  auto model = LoadModel(testing::SourcePath("tests/fixtures/models/llama/model.gguf"), backend);
  ASSERT_TRUE(model.ok());
  auto scheduler = Scheduler::Create(**model, SchedulerOptions{});
  ASSERT_TRUE(scheduler.ok());
  std::string reason;
  auto req = std::make_shared<Request>();
  req->id = 7;
  req->input_ids = {1, 2, 3, 4, 5};
  req->params.max_new_tokens = 1000;
  req->params.ignore_eos = true;
  req->sampler = std::make_unique<Sampler>(1);
  req->on_update = [&](const Request& r, std::optional<int32_t>, bool done) {
    if (done) reason = r.finish_reason.TypeName();
  };
  (*scheduler)->Submit(req);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*scheduler)->Step());
  (*scheduler)->Abort(7);
  (*scheduler)->Step();
  EXPECT_EQ(reason, "abort");
  EXPECT_EQ((*scheduler)->num_running(), 0);
  ASSERT_TRUE((*scheduler)->CheckInvariants().ok());
}

}  // namespace
}  // namespace sgl

namespace sgl {
namespace {

TEST(SchedulerCacheTest, ARunningRequestsPromptIsSharedAtOnce) {
  const auto ref = nlohmann::json::parse(
      testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/models/llama/reference.json")));
  const auto prompt = ref.at("prompts")[2].get<std::vector<int32_t>>();
  const auto greedy = ref.at("greedy")[2].get<std::vector<int32_t>>();
  CpuBackend backend(1);
  auto model = LoadModel(testing::SourcePath("tests/fixtures/models/llama/model.gguf"), backend);
  ASSERT_TRUE(model.ok());
  auto scheduler = Scheduler::Create(**model, SchedulerOptions{});
  ASSERT_TRUE(scheduler.ok());
  auto make = [&](uint64_t id) {
    auto req = std::make_shared<Request>();
    req->id = id;
    req->input_ids = prompt;
    req->params.temperature = 0;
    req->params.ignore_eos = true;
    req->params.max_new_tokens = 32;
    req->sampler = std::make_unique<Sampler>(0);
    return req;
  };
  auto a = make(1), b = make(2);
  (*scheduler)->Submit(a);
  ASSERT_TRUE((*scheduler)->Step());  // a's whole prompt, then its first token
  (*scheduler)->Submit(b);
  while ((*scheduler)->Step()) ASSERT_TRUE((*scheduler)->CheckInvariants().ok()) << (*scheduler)->CheckInvariants().message();
  EXPECT_EQ(a->cached_tokens, 0);
  EXPECT_EQ(b->cached_tokens, static_cast<int64_t>(prompt.size()) - 1);  // all but the last, recomputed for logits
  EXPECT_EQ(a->output_ids, greedy);
  EXPECT_EQ(b->output_ids, greedy);
}

}  // namespace
}  // namespace sgl
