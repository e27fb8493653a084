// The grammar budget through the Engine on the real default model (SmolLM2-135M, from
// models/): greedy requests whose schema lets the small model loop (an unbounded string
// or number) run into max_new_tokens mid-JSON without the budget, and with it (the
// default) end with a stop token within the cap as complete JSON, with or without
// jump-forward.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sgl/engine.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

const char* const kModel = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
constexpr int kMaxNewTokens = 40;

std::unique_ptr<Engine> MakeEngine(bool disable_grammar_budget, bool disable_jump_forward) {
  const std::string path = testing::SourcePath(kModel);
  EXPECT_TRUE(std::filesystem::exists(path)) << path << " is missing: run scripts/fetch_models.sh";
  EngineOptions o;
  o.device = "cpu";
  o.model_path = path;
  o.num_threads = 2;
  o.max_total_tokens = 1024;
  o.disable_grammar_budget = disable_grammar_budget;
  o.disable_jump_forward = disable_jump_forward;
  auto engine = Engine::Create(o);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return engine.ok() ? std::move(engine).value() : nullptr;
}

struct Looping {
  std::string prompt, schema, field;
};

const std::vector<Looping> kLooping = {
    {"{\"text\": \"ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha ha",
     R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})", "text"},
    {"The number one repeated forever, as JSON: {\"n\": 1111111",
     R"({"type":"object","properties":{"n":{"type":"number"}},"required":["n"]})", "n"},
};

Result<GenerateResult> GenerateLooping(Engine& engine, const Looping& c) {
  GenerateRequest r;
  r.text = c.prompt;
  r.sampling.temperature = 0;
  r.sampling.max_new_tokens = kMaxNewTokens;
  r.sampling.json_schema = c.schema;
  return engine.Generate(r);
}

TEST(EngineGrammarBudgetTest, UnbudgetedLoopsAreCut) {
  auto engine = MakeEngine(/*disable_grammar_budget=*/true, /*disable_jump_forward=*/false);
  ASSERT_NE(engine, nullptr);
  for (const Looping& c : kLooping) {
    auto result = GenerateLooping(*engine, c);
    ASSERT_TRUE(result.ok()) << result.status().message();
    EXPECT_EQ(result->finish_reason.type, FinishReason::Type::kLength) << result->text;
    EXPECT_TRUE(nlohmann::json::parse(result->text, nullptr, false).is_discarded()) << result->text;
  }
}

TEST(EngineGrammarBudgetTest, BudgetedLoopsEndAsCompleteJsonWithinTheCap) {
  for (bool disable_jump_forward : {false, true}) {
    auto engine = MakeEngine(/*disable_grammar_budget=*/false, disable_jump_forward);
    ASSERT_NE(engine, nullptr);
    for (const Looping& c : kLooping) {
      auto result = GenerateLooping(*engine, c);
      ASSERT_TRUE(result.ok()) << result.status().message();
      EXPECT_EQ(result->finish_reason.type, FinishReason::Type::kStop) << result->text;
      EXPECT_LE(result->output_ids.size(), static_cast<size_t>(kMaxNewTokens));
      EXPECT_FALSE(result->stats.grammar_stop.has_value());
      const nlohmann::json j = nlohmann::json::parse(result->text, nullptr, false);
      ASSERT_TRUE(j.is_object()) << result->text;
      EXPECT_EQ(j.size(), 1u) << result->text;
      EXPECT_TRUE(j.contains(c.field)) << result->text;
    }
  }
}

}  // namespace
}  // namespace sgl
