// Constrained decoding through the Engine on the real default model (SmolLM2-135M, from
// models/): every regex / JSON Schema / EBNF-constrained output matches its constraint,
// greedy and sampled, with the radix cache on and off, under retraction (a tiny KV
// cache), and batched with unconstrained requests whose outputs stay what they are alone.
// A grammar that does not compile fails its own request with a message naming the
// problem; the compile time and cache hit are reported, and so is where the grammar
// stopped a request that ended badly. Greedy requests whose schema lets the small model
// loop (an unbounded string or number) are cut mid-JSON at max_new_tokens without the
// grammar budget, and with it (the default) end complete within the cap.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <future>
#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sgl/engine.h"
#include "testing/grammar_cases.h"
#include "testing/test_paths.h"
#include "tokenizer/tokenizer.h"

namespace sgl {
namespace {

using testing::Constrained;
using testing::ExpectValid;
using testing::kKinds;

const char* const kModel = "models/SmolLM2-135M-Instruct.Q4_1.gguf";

struct EngineSetup {
  bool disable_radix_cache = false;
  int64_t max_total_tokens = 2048;
  std::string grammar_backend = "xgrammar";
  bool disable_jump_forward = false;
  int64_t chunked_prefill_size = 512;
  bool disable_grammar_budget = false;
};

std::unique_ptr<Engine> MakeEngine(const EngineSetup& setup) {
  const std::string path = testing::SourcePath(kModel);
  EXPECT_TRUE(std::filesystem::exists(path)) << path << " is missing: run scripts/fetch_models.sh";
  EngineOptions o;
  o.device = "cpu";
  o.model_path = path;
  o.num_threads = 2;
  o.max_total_tokens = setup.max_total_tokens;
  o.disable_radix_cache = setup.disable_radix_cache;
  o.grammar_backend = setup.grammar_backend;
  o.disable_jump_forward = setup.disable_jump_forward;
  o.chunked_prefill_size = setup.chunked_prefill_size;
  o.disable_grammar_budget = setup.disable_grammar_budget;
  auto engine = Engine::Create(o);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return engine.ok() ? std::move(engine).value() : nullptr;
}

GenerateRequest Unconstrained(const std::string& prompt, int max_new_tokens) {
  GenerateRequest r;
  r.text = prompt;
  r.sampling.temperature = 0;
  r.sampling.ignore_eos = true;
  r.sampling.max_new_tokens = max_new_tokens;
  return r;
}

const std::vector<std::string> kPrompts = {
    "Is the sky blue? Answer:", "Describe a person as JSON:", "What is 6 times 7?", "Say something about cats."};

class EngineGrammarTest : public ::testing::TestWithParam<bool> {};  // radix cache disabled?

// Submits every request at once (they share batches) and returns their results in order.
std::vector<Result<GenerateResult>> RunTogether(Engine& engine, const std::vector<GenerateRequest>& requests) {
  std::vector<GenerateHandle> handles;
  for (const auto& r : requests) handles.push_back(engine.Submit(r, {}));
  std::vector<Result<GenerateResult>> results;
  for (auto& h : handles) results.push_back(h.result.get());
  return results;
}

TEST_P(EngineGrammarTest, GreedyAndSampledOutputsMatchTheConstraint) {
  auto engine = MakeEngine({.disable_radix_cache = GetParam()});
  ASSERT_NE(engine, nullptr);
  std::vector<GenerateRequest> requests;
  for (const std::string& kind : kKinds)
    for (float temperature : {0.0f, 1.0f})
      for (uint64_t seed : {1u, 2u}) requests.push_back(Constrained(kPrompts[seed % kPrompts.size()], kind, temperature, seed));
  const auto results = RunTogether(*engine, requests);
  for (size_t i = 0; i < requests.size(); ++i) ExpectValid(requests[i], results[i]);
}

// Many constrained requests at once in a KV cache too small for all: some are retracted
// and resume; their outputs must still be complete and valid, and greedy ones equal to
// the same request run alone. Jump-forward is on (the default): 12 requests, since its
// shorter runs in steps leave 8 too few to run out of KV with the radix cache on.
TEST_P(EngineGrammarTest, RetractedRequestsStayValid) {
  auto engine = MakeEngine({.disable_radix_cache = GetParam(), .max_total_tokens = 112});
  ASSERT_NE(engine, nullptr);
  std::vector<GenerateRequest> requests;
  for (int i = 0; i < 12; ++i)
    requests.push_back(Constrained(kPrompts[i % kPrompts.size()], i % 4 == 3 ? "ebnf" : "json", i % 2 ? 1.0f : 0.0f, i));
  const auto together = RunTogether(*engine, requests);
  int retractions = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    ExpectValid(requests[i], together[i]);
    if (together[i].ok()) retractions += together[i]->stats.num_retractions;
  }
  EXPECT_GT(retractions, 0) << "the KV cache was meant to be too small for all requests at once";
  // The references may reuse the cache: a retracted request recomputes its tokens as a
  // prefill, a cache hit computes the rest alone, and the CPU attention gives a token the
  // same scores either way (attention_kernel.cc).
  for (size_t i = 0; i < 4; i += 2) {  // greedy ones
    auto alone = engine->Generate(requests[i]);
    ASSERT_TRUE(alone.ok() && together[i].ok());
    EXPECT_EQ(alone->output_ids, together[i]->output_ids);
  }
}

// Constrained requests in the same batches as unconstrained ones change nothing for the
// unconstrained ones (their logits, masks and samplers are their own). The reference is
// the unconstrained requests batched alone (the CPU kernels are batch-invariant, which
// engine_test checks).
TEST_P(EngineGrammarTest, UnconstrainedOutputsUnchangedByConstrainedNeighbours) {
  auto engine = MakeEngine({.disable_radix_cache = GetParam()});
  ASSERT_NE(engine, nullptr);
  std::vector<GenerateRequest> plain, mixed;
  for (size_t i = 0; i < kPrompts.size(); ++i) plain.push_back(Unconstrained(kPrompts[i], 24));
  const auto alone = RunTogether(*engine, plain);
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    mixed.push_back(Constrained(kPrompts[i], kKinds[i % 3], 1.0f, 10 + i));
    mixed.push_back(plain[i]);
  }
  const auto results = RunTogether(*engine, mixed);
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    ASSERT_TRUE(alone[i].ok() && results[2 * i + 1].ok());
    EXPECT_EQ(results[2 * i + 1]->output_ids, alone[i]->output_ids) << kPrompts[i];
    ExpectValid(mixed[2 * i], results[2 * i]);
  }
}

INSTANTIATE_TEST_SUITE_P(RadixCache, EngineGrammarTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Disabled" : "Enabled"; });

TEST(EngineGrammarErrorsTest, BadGrammarFailsOnlyItsRequestWithTheProblemNamed) {
  auto engine = MakeEngine({});
  ASSERT_NE(engine, nullptr);
  GenerateRequest bad = Constrained(kPrompts[0], "regex", 0, 0);
  bad.sampling.regex = "a(?=b)";
  const GenerateRequest good = Constrained(kPrompts[0], "regex", 0, 0);
  GenerateHandle bad_handle = engine->Submit(bad, {});
  GenerateHandle good_handle = engine->Submit(good, {});
  auto failed = bad_handle.result.get();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(failed.status().message().find("lookahead"), std::string::npos) << failed.status().message();
  ExpectValid(good, good_handle.result.get());

  GenerateRequest bad_schema = Constrained(kPrompts[0], "json", 0, 0);
  bad_schema.sampling.json_schema = R"({"type": "object", "not": {}})";
  auto schema_failed = engine->Generate(bad_schema);
  ASSERT_FALSE(schema_failed.ok());
  EXPECT_NE(schema_failed.status().message().find("not"), std::string::npos) << schema_failed.status().message();

  GenerateRequest bad_ebnf = Constrained(kPrompts[0], "ebnf", 0, 0);
  bad_ebnf.sampling.ebnf = "root ::= missing";
  auto ebnf_failed = engine->Generate(bad_ebnf);
  ASSERT_FALSE(ebnf_failed.ok());
  EXPECT_NE(ebnf_failed.status().message().find("missing"), std::string::npos) << ebnf_failed.status().message();
}

TEST(EngineGrammarErrorsTest, BackendNoneRefusesConstrainedRequests) {
  auto engine = MakeEngine({.grammar_backend = "none"});
  ASSERT_NE(engine, nullptr);
  auto refused = engine->Generate(Constrained(kPrompts[0], "regex", 0, 0));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("none"), std::string::npos) << refused.status().message();
  EXPECT_TRUE(engine->Generate(Unconstrained(kPrompts[0], 4)).ok());
}

TEST(EngineGrammarStatsTest, CompileTimeAndCacheHitReported) {
  auto engine = MakeEngine({});
  ASSERT_NE(engine, nullptr);
  GenerateRequest r = Constrained(kPrompts[1], "regex", 0, 0);
  r.sampling.regex = "[0-9]{2}";
  auto first = engine->Generate(r);
  r.text = kPrompts[2];
  auto second = engine->Generate(r);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(first->stats.grammar_cache_hit);
  EXPECT_GT(first->stats.grammar_compile_seconds, 0);
  EXPECT_TRUE(second->stats.grammar_cache_hit);
  auto plain = engine->Generate(Unconstrained(kPrompts[0], 2));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->stats.grammar_compile_seconds, 0);
}

// Logprobs come from the masked logits (as SGLang's): the top alternatives at each step
// are tokens the grammar allowed, so for a digits-only regex each is a digit string.
// The backend draws a constrained request's token under its mask (row_sampling.h) unless
// it wants logprobs, which the host's sampler computes under the same mask: greedy, the
// two paths give the same tokens. Jump-forward is off, as it is for logprob requests.
TEST(EngineGrammarStatsTest, BackendMaskedTokensEqualTheHostsGreedy) {
  auto engine = MakeEngine({.disable_jump_forward = true});
  ASSERT_NE(engine, nullptr);
  for (size_t i = 0; i < kKinds.size(); ++i) testing::ExpectBackendDrawEqualsHostGreedy(*engine, kPrompts[i], kKinds[i]);
}

TEST(EngineGrammarStatsTest, TopLogprobsOnlyListAllowedTokens) {
  auto engine = MakeEngine({});
  ASSERT_NE(engine, nullptr);
  GenerateRequest r = Constrained(kPrompts[2], "regex", 0, 0);
  r.sampling.regex = "[0-9]{6}";
  r.logprob.return_logprob = true;
  r.logprob.top_logprobs_num = 5;
  auto result = engine->Generate(r);
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->output_logprobs.size(), result->output_ids.size());
  for (const PositionLogprobs& p : result->output_logprobs) {
    // Masked tokens' logprobs are -inf, reported as the lowest float (JSON has no -inf).
    constexpr float kMasked = std::numeric_limits<float>::lowest();
    EXPECT_GT(p.token.logprob, kMasked);
    for (const TokenLogprob& t : p.top) {
      if (t.logprob == kMasked) continue;  // fewer than 5 allowed tokens
      const std::string text = engine->tokenizer().Decode(std::vector<int32_t>{t.token_id}, false);
      const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
      EXPECT_TRUE(digits || t.token_id == p.token.token_id) << "'" << text << "' offered after a digit regex";
    }
  }
}

TEST(EngineGrammarStatsTest, AbortWhileCompilingOrRunningEndsTheRequest) {
  auto engine = MakeEngine({});
  ASSERT_NE(engine, nullptr);
  GenerateRequest r = Constrained(kPrompts[1], "json", 1.0f, 3);
  r.sampling.json_schema = R"({"type": "object", "properties": {"s": {"type": "string", "maxLength": 100}}})";
  GenerateHandle handle = engine->Submit(r, {});
  engine->Abort(handle.id);
  auto result = handle.result.get();
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->finish_reason.type, FinishReason::Type::kAbort);
}

TEST(EngineGrammarStatsTest, WhereTheGrammarStoppedABadEnd) {
  auto engine = MakeEngine({});
  ASSERT_NE(engine, nullptr);
  GenerateRequest r;
  r.text = kPrompts[0];
  r.sampling.temperature = 0;
  r.sampling.regex = "[a-z]{30,40}";
  r.sampling.max_new_tokens = 4;  // too few for the regex: cut while it cannot end
  auto cut = engine->Generate(r);
  ASSERT_TRUE(cut.ok()) << cut.status().message();
  EXPECT_EQ(cut->finish_reason.type, FinishReason::Type::kLength);
  ASSERT_TRUE(cut->stats.grammar_stop.has_value());
  EXPECT_EQ(cut->stats.grammar_stop->token_position, 4);
  EXPECT_EQ(cut->stats.grammar_stop->reason, "incomplete");

  r.sampling.regex = "(yes|no)";
  r.sampling.max_new_tokens = 8;
  auto good = engine->Generate(r);
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good->finish_reason.type, FinishReason::Type::kStop);
  EXPECT_FALSE(good->stats.grammar_stop.has_value());

  r.sampling.min_new_tokens = 6;  // the grammar can only end, and that is forbidden: it fails
  auto failed = engine->Generate(r);
  ASSERT_TRUE(failed.ok()) << failed.status().message();
  EXPECT_EQ(failed->finish_reason.type, FinishReason::Type::kAbort);
  ASSERT_TRUE(failed->stats.grammar_stop.has_value());
  EXPECT_EQ(failed->stats.grammar_stop->token_position, static_cast<int64_t>(failed->output_ids.size()));
  EXPECT_GE(failed->stats.grammar_stop->token_position, 1);
  EXPECT_NE(failed->stats.grammar_stop->reason.find("allows no next token"), std::string::npos);
  EXPECT_EQ(failed->text, good->text);  // the text so far: the whole answer, never ended
}

// Jump-forward: a schema whose keys and a const/enum prefix are forced. Greedy, so the
// runs are comparable; the outputs may differ between on and off (the forced text is
// split as the tokenizer splits it, not as the model would have), but both are valid.
const std::string kOrderSchema = R"({"type":"object","properties":{
    "kind":{"const":"purchase_order"},
    "status":{"enum":["pending_payment","pending_review","shipped"]},
    "customer_name":{"type":"string","maxLength":20},
    "quantity":{"type":"integer","minimum":1,"maximum":99}},
  "required":["kind","status","customer_name","quantity"],"additionalProperties":false})";

GenerateRequest OrderRequest() {
  GenerateRequest r;
  r.text = "Write one purchase order as JSON:";
  r.sampling.temperature = 0;
  r.sampling.max_new_tokens = 96;
  r.sampling.json_schema = kOrderSchema;
  return r;
}

bool MatchesOrderSchema(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.size() != 4 || j.value("kind", "") != "purchase_order") return false;
  const std::string status = j.value("status", "");
  if (status != "pending_payment" && status != "pending_review" && status != "shipped") return false;
  if (!j.contains("customer_name") || !j["customer_name"].is_string()) return false;
  return j.contains("quantity") && j["quantity"].is_number_integer() && j["quantity"] >= 1 && j["quantity"] <= 99;
}

// The schema forces its start: these bytes, tokenized on their own without the last token
// (which might merge with what the model writes next), are the first output tokens.
std::vector<int32_t> ForcedStartTokens(const Engine& engine) {
  std::vector<int32_t> ids = engine.tokenizer().Encode(R"({"kind":"purchase_order","status":")", false);
  if (!ids.empty()) ids.pop_back();
  return ids;
}

bool StartsWith(const std::vector<int32_t>& ids, const std::vector<int32_t>& prefix) {
  return ids.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), ids.begin());
}

TEST(EngineJumpForwardTest, ValidOutputInFewerModelSteps) {
  std::vector<Result<GenerateResult>> runs;
  for (bool disable : {false, true}) {
    auto engine = MakeEngine({.disable_jump_forward = disable});
    ASSERT_NE(engine, nullptr);
    runs.push_back(engine->Generate(OrderRequest()));
    ASSERT_TRUE(runs.back().ok()) << runs.back().status().message();
    if (!disable) {
      const std::vector<int32_t> forced = ForcedStartTokens(*engine);
      ASSERT_GE(forced.size(), 4u);
      EXPECT_TRUE(StartsWith(runs.back()->output_ids, forced)) << runs.back()->text;
      // The forced start is not sampled: no model step until it is out.
      EXPECT_GE(runs.back()->stats.jump_forward_tokens, static_cast<int64_t>(forced.size()));
    }
  }
  const Result<GenerateResult>& on = runs[0];
  const Result<GenerateResult>& off = runs[1];
  for (const GenerateResult* r : {&*on, &*off}) {
    EXPECT_EQ(r->finish_reason.type, FinishReason::Type::kStop) << r->text;
    EXPECT_TRUE(MatchesOrderSchema(r->text)) << r->text;
    EXPECT_EQ(r->stats.sampling_steps + r->stats.jump_forward_tokens, r->stats.completion_tokens);
  }
  EXPECT_EQ(off->stats.jump_forward_tokens, 0);
  EXPECT_GT(on->stats.jump_forward_tokens, 8) << on->text;
  EXPECT_LT(on->stats.sampling_steps, off->stats.sampling_steps);
}

// With jump-forward on, the output is the same with the radix cache on (twice: the
// second run reuses the first's cached tokens) or off, and with prefill chunks of 3
// tokens (a jump's tokens are then computed over several steps); the streamed deltas
// add up to the result, never taking text back.
TEST(EngineJumpForwardTest, SameOutputWithRadixCacheAndChunkedPrefill) {
  std::vector<GenerateResult> results;
  for (const EngineSetup& setup : {EngineSetup{}, EngineSetup{.disable_radix_cache = true},
                                   EngineSetup{.chunked_prefill_size = 3}}) {
    auto engine = MakeEngine(setup);
    ASSERT_NE(engine, nullptr);
    for (int run = 0; run < (setup.disable_radix_cache ? 1 : 2); ++run) {
      std::string streamed;
      std::vector<int32_t> streamed_ids;
      auto r = engine->Generate(OrderRequest(), [&](const GenerateDelta& d) {
        streamed += d.text;
        streamed_ids.insert(streamed_ids.end(), d.token_ids.begin(), d.token_ids.end());
      });
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_EQ(streamed, r->text);
      EXPECT_EQ(streamed_ids, r->output_ids);
      EXPECT_GT(r->stats.jump_forward_tokens, 0);
      EXPECT_TRUE(StartsWith(r->output_ids, ForcedStartTokens(*engine))) << r->text;
      EXPECT_TRUE(MatchesOrderSchema(r->text)) << r->text;
      results.push_back(*r);
    }
  }
  for (size_t i = 1; i < results.size(); ++i) {
    EXPECT_EQ(results[i].output_ids, results[0].output_ids) << "run " << i;
    EXPECT_EQ(results[i].text, results[0].text) << "run " << i;
  }
  EXPECT_GT(results[1].stats.cached_tokens, 0);
}

// The forced start is output before any model step: when it covers max_new_tokens, the
// request ends without one, its text the forced tokens' and streamed as such.
TEST(EngineJumpForwardTest, ForcedStartNeedsNoModelStep) {
  auto engine = MakeEngine({});
  ASSERT_NE(engine, nullptr);
  const std::vector<int32_t> forced = ForcedStartTokens(*engine);
  ASSERT_GE(forced.size(), 4u);
  GenerateRequest r = OrderRequest();
  r.sampling.max_new_tokens = 3;
  std::string streamed;
  auto result = engine->Generate(r, [&](const GenerateDelta& d) { streamed += d.text; });
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->finish_reason.type, FinishReason::Type::kLength);
  EXPECT_EQ(result->output_ids, std::vector<int32_t>(forced.begin(), forced.begin() + 3));
  EXPECT_EQ(result->stats.sampling_steps, 0);
  EXPECT_EQ(result->stats.jump_forward_tokens, 3);
  EXPECT_EQ(result->text, engine->tokenizer().Decode(result->output_ids, /*skip_special_tokens=*/true));
  EXPECT_EQ(streamed, result->text);
  // Jump-forward off: every token sampled.
  auto off = MakeEngine({.disable_jump_forward = true});
  ASSERT_NE(off, nullptr);
  auto sampled = off->Generate(r);
  ASSERT_TRUE(sampled.ok()) << sampled.status().message();
  EXPECT_EQ(sampled->stats.sampling_steps, 3);
  EXPECT_EQ(sampled->stats.jump_forward_tokens, 0);
}

// Logprob requests report the model's own choices: no jump-forward.
TEST(EngineJumpForwardTest, SkippedWithLogprobs) {
  auto engine = MakeEngine({});
  ASSERT_NE(engine, nullptr);
  GenerateRequest r = OrderRequest();
  r.logprob.return_logprob = true;
  auto result = engine->Generate(r);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->stats.jump_forward_tokens, 0);
  EXPECT_EQ(result->output_logprobs.size(), result->output_ids.size());
  EXPECT_TRUE(MatchesOrderSchema(result->text)) << result->text;
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
constexpr int kLoopingMaxNewTokens = 40;

Result<GenerateResult> GenerateLooping(Engine& engine, const Looping& c) {
  GenerateRequest r;
  r.text = c.prompt;
  r.sampling.temperature = 0;
  r.sampling.max_new_tokens = kLoopingMaxNewTokens;
  r.sampling.json_schema = c.schema;
  return engine.Generate(r);
}

TEST(EngineGrammarBudgetTest, UnbudgetedLoopsAreCut) {
  auto engine = MakeEngine({.max_total_tokens = 1024, .disable_grammar_budget = true});
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
    auto engine = MakeEngine({.max_total_tokens = 1024, .disable_jump_forward = disable_jump_forward});
    ASSERT_NE(engine, nullptr);
    for (const Looping& c : kLooping) {
      auto result = GenerateLooping(*engine, c);
      ASSERT_TRUE(result.ok()) << result.status().message();
      EXPECT_EQ(result->finish_reason.type, FinishReason::Type::kStop) << result->text;
      EXPECT_LE(result->output_ids.size(), static_cast<size_t>(kLoopingMaxNewTokens));
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
