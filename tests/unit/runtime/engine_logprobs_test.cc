// Logprobs through the Engine on the Qwen3 fixture model, against log_softmax of the
// full-prompt logits (PromptLogits): prompt logprobs from logprob_start_len (the first
// prompt position NaN), output logprobs (at the sampling temperature, 1 when greedy),
// top-k sorted and consistent, token_ids_logprob in the order asked, and prompt positions
// that need logprobs recomputed even when the prefix cache holds them.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "runtime/logprobs.h"
#include "sgl/engine.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

std::unique_ptr<Engine> FixtureEngine() {
  EngineOptions o;
  o.model_path = testing::SourcePath("tests/fixtures/models/qwen3/model.gguf");
  o.num_threads = 2;
  o.max_total_tokens = 1024;
  auto engine = Engine::Create(o);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return std::move(engine).value();
}

const std::vector<int32_t> kPrompt = {15, 200, 33, 400, 71, 5, 260, 18, 90, 301, 44, 7};
constexpr float kTol = 2e-4f;

// log_softmax(row / temperature) of row `row` of [rows, vocab] logits.
std::vector<float> Row(const std::vector<float>& logits, size_t vocab, size_t row, float temperature = 1.0f) {
  std::vector<float> r(logits.begin() + row * vocab, logits.begin() + (row + 1) * vocab);
  for (float& x : r) x /= temperature;
  double m = -INFINITY;
  for (float x : r) m = std::max<double>(m, x);
  double sum = 0;
  for (float x : r) sum += std::exp(x - m);
  for (float& x : r) x = static_cast<float>(x - m - std::log(sum));
  return r;
}

void ExpectPosition(const PositionLogprobs& got, const std::vector<float>& ref, int32_t token, const LogprobOptions& o,
                    const std::string& where) {
  EXPECT_EQ(got.token.token_id, token) << where;
  EXPECT_NEAR(got.token.logprob, ref[token], kTol) << where;
  ASSERT_EQ(got.top.size(), static_cast<size_t>(o.top_logprobs_num)) << where;
  std::vector<float> sorted = ref;
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  for (size_t k = 0; k < got.top.size(); ++k) {
    EXPECT_NEAR(got.top[k].logprob, sorted[k], kTol) << where << " top " << k;
    EXPECT_NEAR(got.top[k].logprob, ref[got.top[k].token_id], kTol) << where << " top " << k;
    if (k > 0) EXPECT_GE(got.top[k - 1].logprob, got.top[k].logprob) << where;
  }
  ASSERT_EQ(got.requested.size(), o.token_ids_logprob.size()) << where;
  for (size_t k = 0; k < got.requested.size(); ++k) {
    EXPECT_EQ(got.requested[k].token_id, o.token_ids_logprob[k]) << where;
    EXPECT_NEAR(got.requested[k].logprob, ref[o.token_ids_logprob[k]], kTol) << where;
  }
}

LogprobOptions Options(int64_t start) {
  LogprobOptions o;
  o.return_logprob = true;
  o.logprob_start_len = start;
  o.top_logprobs_num = 5;
  o.token_ids_logprob = {300, 2, 41};
  return o;
}

void CheckAgainstPromptLogits(Engine& engine, const GenerateResult& r, const LogprobOptions& o, float temperature) {
  std::vector<int32_t> all = kPrompt;
  all.insert(all.end(), r.output_ids.begin(), r.output_ids.end() - 1);
  auto logits = engine.PromptLogits(all);
  ASSERT_TRUE(logits.ok()) << logits.status().message();
  const size_t vocab = static_cast<size_t>(engine.Info().vocab_size);
  const int64_t start = std::max<int64_t>(o.logprob_start_len, 0);
  ASSERT_EQ(r.input_logprobs.size(), o.logprob_start_len < 0 ? 0 : kPrompt.size() - start);
  for (size_t i = 0; i < r.input_logprobs.size(); ++i) {
    const size_t pos = start + i;
    if (pos == 0) {
      EXPECT_TRUE(std::isnan(r.input_logprobs[i].token.logprob));
      EXPECT_EQ(r.input_logprobs[i].token.token_id, kPrompt[0]);
      continue;
    }
    ExpectPosition(r.input_logprobs[i], Row(*logits, vocab, pos - 1), kPrompt[pos], o, "prompt position " + std::to_string(pos));
  }
  ASSERT_EQ(r.output_logprobs.size(), r.output_ids.size());
  for (size_t j = 0; j < r.output_ids.size(); ++j) {
    ExpectPosition(r.output_logprobs[j], Row(*logits, vocab, kPrompt.size() - 1 + j, temperature), r.output_ids[j], o,
                   "output " + std::to_string(j));
  }
}

TEST(EngineLogprobsTest, GreedyLogprobsAreLogSoftmaxOfTheLogits) {
  auto engine = FixtureEngine();
  for (int64_t start : {-1, 0, 5}) {
    GenerateRequest req{.input_ids = kPrompt};
    req.sampling.temperature = 0;
    req.sampling.max_new_tokens = 6;
    req.sampling.ignore_eos = true;
    req.logprob = Options(start);
    auto r = engine->Generate(req);
    ASSERT_TRUE(r.ok()) << r.status().message();
    CheckAgainstPromptLogits(*engine, *r, req.logprob, 1.0f);
    // Greedy: the chosen token is the most likely one.
    for (const auto& p : r->output_logprobs) EXPECT_EQ(p.top[0].token_id, p.token.token_id);
  }
}

TEST(EngineLogprobsTest, SampledLogprobsUseTheTemperature) {
  auto engine = FixtureEngine();
  GenerateRequest req{.input_ids = kPrompt};
  req.sampling.temperature = 0.7f;
  req.sampling.seed = 3;
  req.sampling.max_new_tokens = 6;
  req.sampling.ignore_eos = true;
  req.logprob = Options(-1);
  auto r = engine->Generate(req);
  ASSERT_TRUE(r.ok()) << r.status().message();
  CheckAgainstPromptLogits(*engine, *r, req.logprob, 0.7f);
}

// SGLang's default takes output logprobs after the penalties: with a strong presence
// penalty they must follow the penalized logits, not the raw ones.
TEST(EngineLogprobsTest, OutputLogprobsComeAfterPenalties) {
  auto engine = FixtureEngine();
  GenerateRequest req{.input_ids = kPrompt};
  req.sampling.temperature = 0;
  req.sampling.max_new_tokens = 6;
  req.sampling.ignore_eos = true;
  req.sampling.presence_penalty = 2.0f;
  req.sampling.logit_bias = {{7, 1.5f}};
  req.logprob = Options(-1);
  auto r = engine->Generate(req);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<int32_t> all = kPrompt;
  all.insert(all.end(), r->output_ids.begin(), r->output_ids.end() - 1);
  auto logits = engine->PromptLogits(all);
  ASSERT_TRUE(logits.ok());
  const size_t vocab = static_cast<size_t>(engine->Info().vocab_size);
  bool penalty_mattered = false;
  for (size_t j = 0; j < r->output_ids.size(); ++j) {
    std::vector<float> row(logits->begin() + (kPrompt.size() - 1 + j) * vocab,
                           logits->begin() + (kPrompt.size() + j) * vocab);
    const std::vector<float> raw = LogSoftmax(row, 1.0f);
    row[7] += 1.5f;
    for (size_t k = 0; k < j; ++k) {
      // Presence penalty: once per distinct earlier output token.
      if (std::find(r->output_ids.begin(), r->output_ids.begin() + k, r->output_ids[k]) == r->output_ids.begin() + k)
        row[r->output_ids[k]] -= 2.0f;
    }
    ExpectPosition(r->output_logprobs[j], LogSoftmax(row, 1.0f), r->output_ids[j], req.logprob,
                   "output " + std::to_string(j));
    if (std::abs(raw[r->output_ids[j]] - r->output_logprobs[j].token.logprob) > 1e-3f) penalty_mattered = true;
  }
  EXPECT_TRUE(penalty_mattered) << "the penalties should have changed some logprob";
}

TEST(EngineLogprobsTest, PromptLogprobsAreRecomputedDespiteTheCache) {
  auto engine = FixtureEngine();
  GenerateRequest req{.input_ids = kPrompt};
  req.sampling.temperature = 0;
  req.sampling.max_new_tokens = 2;
  ASSERT_TRUE(engine->Generate(req).ok());  // caches the prompt
  req.logprob = Options(4);
  auto r = engine->Generate(req);
  ASSERT_TRUE(r.ok());
  EXPECT_LE(r->stats.cached_tokens, 3);  // positions 4.. need the logits of rows 3..
  CheckAgainstPromptLogits(*engine, *r, req.logprob, 1.0f);
  req.logprob = Options(-1);
  auto plain = engine->Generate(req);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->stats.cached_tokens, static_cast<int64_t>(kPrompt.size()) - 1);
}

TEST(EngineLogprobsTest, StreamedDeltasCarryTheLogprobs) {
  auto engine = FixtureEngine();
  GenerateRequest req{.input_ids = kPrompt};
  req.sampling.temperature = 0;
  req.sampling.max_new_tokens = 5;
  req.sampling.ignore_eos = true;
  req.logprob = Options(0);
  std::vector<PositionLogprobs> input, output;
  auto r = engine->Generate(req, [&](const GenerateDelta& d) {
    input.insert(input.end(), d.input_logprobs.begin(), d.input_logprobs.end());
    output.insert(output.end(), d.output_logprobs.begin(), d.output_logprobs.end());
  });
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(input.size(), kPrompt.size());
  ASSERT_EQ(output.size(), r->output_ids.size());
  for (size_t j = 0; j < output.size(); ++j) EXPECT_EQ(output[j].token.logprob, r->output_logprobs[j].token.logprob);
}

TEST(EngineLogprobsTest, BadOptionsAreRejected) {
  auto engine = FixtureEngine();
  GenerateRequest req{.input_ids = kPrompt};
  req.logprob.return_logprob = true;
  req.logprob.token_ids_logprob = {100000};
  EXPECT_EQ(engine->Generate(req).status().code(), StatusCode::kInvalidArgument);
  req.logprob.token_ids_logprob = {};
  req.logprob.top_logprobs_num = -2;
  EXPECT_EQ(engine->Generate(req).status().code(), StatusCode::kInvalidArgument);
  req.logprob.top_logprobs_num = 0;
  req.logprob.logprob_start_len = -5;
  EXPECT_EQ(engine->Generate(req).status().code(), StatusCode::kInvalidArgument);
}

TEST(LogprobsTest, TopKIsSortedWithTiesByLowerId) {
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, -2.0f, 0.5f};
  const auto lp = LogSoftmax(logits, 1.0f);
  LogprobOptions o;
  o.top_logprobs_num = 4;
  o.token_ids_logprob = {4, 0, 9};
  const PositionLogprobs p = PickLogprobs(lp, 2, o);
  ASSERT_EQ(p.top.size(), 4u);
  EXPECT_EQ(p.top[0].token_id, 1);
  EXPECT_EQ(p.top[1].token_id, 2);
  EXPECT_EQ(p.top[2].token_id, 0);
  EXPECT_EQ(p.top[3].token_id, 4);
  EXPECT_EQ(p.requested[0].token_id, 4);
  EXPECT_EQ(p.requested[1].token_id, 0);
  EXPECT_TRUE(std::isnan(p.requested[2].logprob));
  double total = 0;
  for (float x : lp) total += std::exp(x);
  EXPECT_NEAR(total, 1.0, 1e-6);
}

}  // namespace
}  // namespace sgl
