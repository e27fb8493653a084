// Overlap scheduling changes nothing a user sees: on the Qwen3 fixture model, a batch of
// requests submitted together (greedy and seeded, stop strings across token boundaries,
// stop tokens, min_new_tokens, a logprob request whose steps cannot be built ahead) gets
// the same tokens, text, streamed deltas, finish reasons and logprobs with every eligible
// step built ahead as with overlap off.
#include <gtest/gtest.h>

#include "sgl/engine.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

std::unique_ptr<Engine> FixtureEngine(bool overlap) {
  EngineOptions o;
  o.model_path = testing::SourcePath("tests/fixtures/models/qwen3/model.gguf");
  o.num_threads = 2;
  o.max_total_tokens = 2048;
  o.disable_overlap_schedule = !overlap;
  o.plan_ahead_min_host_us = 0;  // this small model leaves little host work per step
  auto engine = Engine::Create(o);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return std::move(engine).value();
}

struct Seen {
  GenerateResult result;
  std::string streamed_text;
  std::vector<int32_t> streamed_ids;
};

// Submits every request at once and collects what each one saw.
std::vector<Seen> RunTogether(Engine& engine, const std::vector<GenerateRequest>& requests) {
  std::vector<Seen> seen(requests.size());
  std::vector<GenerateHandle> handles;
  for (size_t i = 0; i < requests.size(); ++i) {
    Seen* s = &seen[i];
    handles.push_back(engine.Submit(requests[i], [s](const GenerateDelta& d) {
      s->streamed_text += d.text;
      s->streamed_ids.insert(s->streamed_ids.end(), d.token_ids.begin(), d.token_ids.end());
    }));
  }
  for (size_t i = 0; i < handles.size(); ++i) {
    Result<GenerateResult> r = handles[i].result.get();
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (r.ok()) seen[i].result = std::move(r).value();
  }
  return seen;
}

std::vector<GenerateRequest> Workload() {
  const std::vector<std::vector<int32_t>> prompts = {
      {72, 101, 108, 108, 111, 44, 32, 119}, {3, 14, 15, 92, 65}, {7, 1, 9, 200, 31, 4}};
  std::vector<GenerateRequest> requests;
  for (int i = 0; i < 18; ++i) {
    GenerateRequest r;
    r.input_ids = prompts[i % 3];
    r.sampling.max_new_tokens = 8 + 7 * (i % 5);
    r.sampling.ignore_eos = true;
    r.sampling.temperature = i % 2 == 0 ? 0.0f : 0.9f;
    if (i % 2 == 1) r.sampling.seed = 100 + i;
    if (i % 6 == 2) r.sampling.stop = {"e", "o "};   // short strings: most of these stop early
    if (i % 6 == 4) r.sampling.stop_token_ids = {101, 32};
    if (i % 7 == 3) r.sampling.min_new_tokens = 5;
    if (i == 5) r.logprob.return_logprob = true, r.logprob.top_logprobs_num = 2;
    requests.push_back(std::move(r));
  }
  return requests;
}

TEST(EngineOverlapTest, SameResultsWithAndWithoutOverlap) {
  auto plain_engine = FixtureEngine(false);
  auto overlap_engine = FixtureEngine(true);
  const std::vector<GenerateRequest> requests = Workload();
  const std::vector<Seen> plain = RunTogether(*plain_engine, requests);
  const std::vector<Seen> overlapped = RunTogether(*overlap_engine, requests);
  int stopped = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    SCOPED_TRACE(i);
    const GenerateResult& a = plain[i].result;
    const GenerateResult& b = overlapped[i].result;
    EXPECT_EQ(b.output_ids, a.output_ids);
    EXPECT_EQ(b.text, a.text);
    EXPECT_EQ(b.finish_reason.type, a.finish_reason.type);
    EXPECT_EQ(b.finish_reason.matched_text, a.finish_reason.matched_text);
    EXPECT_EQ(b.finish_reason.matched_token, a.finish_reason.matched_token);
    EXPECT_EQ(overlapped[i].streamed_text, b.text);
    EXPECT_EQ(overlapped[i].streamed_ids, b.output_ids);
    ASSERT_EQ(b.output_logprobs.size(), a.output_logprobs.size());
    for (size_t t = 0; t < a.output_logprobs.size(); ++t)
      EXPECT_EQ(b.output_logprobs[t].token.logprob, a.output_logprobs[t].token.logprob);
    stopped += a.finish_reason.type == FinishReason::Type::kStop;
  }
  EXPECT_GT(stopped, 0);  // the early-stop path was taken
  EXPECT_EQ(plain_engine->Stats().steps_planned_ahead, 0);
  EXPECT_GT(overlap_engine->Stats().steps_planned_ahead, 0);
}

}  // namespace
}  // namespace sgl
