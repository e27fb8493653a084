#include "sgl/engine.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/test_paths.h"

namespace sgl {
namespace {

std::unique_ptr<Engine> FixtureEngine(bool disable_radix_cache, int64_t max_total_tokens = 1024) {
  EngineOptions o;
  o.device = "cpu";
  o.model_path = testing::SourcePath("tests/fixtures/models/qwen3/model.gguf");
  o.num_threads = 2;
  o.max_total_tokens = max_total_tokens;
  o.disable_radix_cache = disable_radix_cache;
  auto engine = Engine::Create(o);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return std::move(engine).value();
}

Engine::DeltaCallback CountTokens(std::atomic<int>& tokens) {
  return [&tokens](const GenerateDelta& d) { tokens += static_cast<int>(d.token_ids.size()); };
}

TEST(EngineTest, StatsCountCachedPromptTokens) {
  for (bool disable : {false, true}) {
    auto engine = FixtureEngine(disable);
    const std::vector<int32_t> prompt = {5, 6, 7, 8, 9, 10, 11, 12};
    SamplingParams p;
    p.temperature = 0;
    p.max_new_tokens = 4;
    p.ignore_eos = true;
    auto first = engine->Generate(prompt, p, {});
    auto second = engine->Generate(prompt, p, {});
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first->output_ids, second->output_ids);
    // Stats are published after each step, just after the callbacks that end Generate.
    EngineStats s = engine->Stats();
    for (int i = 0; i < 1000 && s.num_running != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      s = engine->Stats();
    }
    EXPECT_EQ(s.prompt_tokens, 16);
    EXPECT_EQ(s.cached_prompt_tokens, disable ? 0 : 7);
    EXPECT_EQ(s.num_running, 0);
    EXPECT_EQ(s.kv_capacity_tokens, 1024);
  }
}

TEST(EngineTest, StatsSplitQueueWaitFromChunkedPrefill) {
  EngineOptions o;
  o.device = "cpu";
  o.model_path = testing::SourcePath("tests/fixtures/models/qwen3/model.gguf");
  o.num_threads = 2;
  o.max_total_tokens = 1024;
  o.chunked_prefill_size = 4;
  auto engine = Engine::Create(o);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  SamplingParams p;
  p.max_new_tokens = 3;
  p.ignore_eos = true;
  for (const int64_t len : {3, 4, 10}) {
    std::vector<int32_t> prompt(static_cast<size_t>(len));
    for (int64_t i = 0; i < len; ++i) prompt[i] = static_cast<int32_t>(100 + 13 * len + i);  // nothing cached
    auto r = (*engine)->Generate(prompt, p, {});
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->stats.prefill_chunks, (len + 3) / 4) << "prompt of " << len;
    EXPECT_GE(r->stats.queue_seconds, 0);
    EXPECT_GT(r->stats.prefill_seconds, 0);
  }
}

TEST(EngineTest, ConcurrentCallersGetTheirOwnResults) {
  const auto ref = nlohmann::json::parse(
      testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/models/qwen3/reference.json")));
  const auto prompts = ref.at("prompts").get<std::vector<std::vector<int32_t>>>();
  const auto greedy = ref.at("greedy").get<std::vector<std::vector<int32_t>>>();
  auto engine = FixtureEngine(false);
  std::vector<std::thread> callers;
  std::vector<std::vector<int32_t>> outputs(12);
  for (size_t i = 0; i < outputs.size(); ++i) {
    callers.emplace_back([&, i] {
      SamplingParams p;
      p.temperature = 0;
      p.max_new_tokens = 32;
      p.ignore_eos = true;
      auto r = engine->Generate(prompts[i % prompts.size()], p, {});
      if (r.ok()) outputs[i] = r->output_ids;
    });
  }
  for (auto& c : callers) c.join();
  for (size_t i = 0; i < outputs.size(); ++i) EXPECT_EQ(outputs[i], greedy[i % prompts.size()]) << i;
}

TEST(EngineTest, OversizedRequestIsRejected) {
  auto engine = FixtureEngine(false, 100);
  SamplingParams p;
  p.max_new_tokens = 96;
  auto r = engine->Generate({1, 2, 3, 4, 5}, p, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("exceeds the KV cache capacity of 100"), std::string::npos);
}

}  // namespace
}  // namespace sgl

namespace sgl {
namespace {

TEST(EngineTest, AsyncRequestsCanBeAborted) {
  auto engine = FixtureEngine(false);
  SamplingParams p;
  p.max_new_tokens = 250;  // within the fixture's context of 256
  p.ignore_eos = true;
  std::atomic<int> tokens{0};
  GenerateHandle h = engine->Submit({.input_ids = {1, 2, 3}, .sampling = p}, CountTokens(tokens));
  while (tokens.load() < 3) std::this_thread::yield();
  engine->Abort(h.id);
  auto r = h.result.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason.type, FinishReason::Type::kAbort);
  EXPECT_NE(r->finish_reason.message.find("aborted"), std::string::npos);
  EXPECT_LT(tokens.load(), 250);
  // The engine still serves afterwards.
  p.max_new_tokens = 4;
  EXPECT_TRUE(engine->Generate({1, 2, 3}, p, {}).ok());
}

TEST(EngineTest, InvalidAsyncRequestFailsAtOnce) {
  auto engine = FixtureEngine(false);
  GenerateHandle h = engine->Submit({}, {});
  auto r = h.result.get();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("empty"), std::string::npos);
}

}  // namespace
}  // namespace sgl

namespace sgl {
namespace {

TEST(EngineTest, FlushCacheEmptiesTheCacheOnlyWhenIdle) {
  auto engine = FixtureEngine(false);
  SamplingParams p;
  p.max_new_tokens = 2;
  p.ignore_eos = true;
  ASSERT_TRUE(engine->Generate({4, 5, 6, 7}, p, {}).ok());
  ASSERT_TRUE(engine->FlushCache().ok());
  auto again = engine->Generate({4, 5, 6, 7}, p, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stats.cached_tokens, 0);  // flushed: nothing reused
  auto third = engine->Generate({4, 5, 6, 7}, p, {});
  EXPECT_EQ(third->stats.cached_tokens, 3);

  p.max_new_tokens = 250;  // within the fixture's context of 256
  std::atomic<int> tokens{0};
  GenerateHandle h = engine->Submit({.input_ids = {1, 2, 3}, .sampling = p}, CountTokens(tokens));
  while (tokens.load() < 1) std::this_thread::yield();
  Status busy = engine->FlushCache();
  EXPECT_FALSE(busy.ok());
  EXPECT_NE(busy.message().find("running"), std::string::npos);
  engine->Abort(h.id);
  (void)h.result.get();
}

}  // namespace
}  // namespace sgl

namespace sgl {
namespace {

// Same seed, same output, whether the request runs alone or among 15 others: drawn on the
// host (top-p cuts the row) or on the model's device (a plain temperature draw).
TEST(EngineTest, SeededSamplingDoesNotDependOnBatchComposition) {
  auto engine = FixtureEngine(true);
  for (float top_p : {0.95f, 1.0f}) {
    SCOPED_TRACE(top_p);
    SamplingParams p;
    p.temperature = 1.0f;
    p.top_p = top_p;
    p.max_new_tokens = 24;
    p.ignore_eos = true;
    p.seed = 42;
    const std::vector<int32_t> prompt = {3, 14, 15, 92, 65};
    auto alone = engine->Generate(prompt, p, {});
    ASSERT_TRUE(alone.ok());
    std::vector<GenerateHandle> others;
    SamplingParams q = p;
    q.seed.reset();
    for (int i = 0; i < 15; ++i) others.push_back(engine->Submit({.input_ids = {7, i + 1, 9}, .sampling = q}, {}));
    auto crowded = engine->Generate(prompt, p, {});
    for (auto& h : others) (void)h.result.get();
    ASSERT_TRUE(crowded.ok());
    EXPECT_EQ(alone->output_ids, crowded->output_ids);
    // And the seed matters.
    p.seed = 43;
    auto other_seed = engine->Generate(prompt, p, {});
    EXPECT_NE(alone->output_ids, other_seed->output_ids);
  }
}

}  // namespace
}  // namespace sgl
