// The Engine's output text and stop conditions on the Qwen3 fixture model (its byte-level
// tokenizer has 512 tokens, so characters often span tokens): the result's text is the
// tokenizer's decode of the output, the streamed deltas add up to it, stop strings match
// across token boundaries and cut the text (unless no_stop_trim), min_new_tokens delays
// them, and a stop token's text is left out unless no_stop_trim.
#include <gtest/gtest.h>

#include "sgl/engine.h"
#include "testing/test_paths.h"
#include "tokenizer/tokenizer.h"

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

GenerateRequest Greedy(std::vector<int32_t> prompt, int max_new_tokens) {
  GenerateRequest r;
  r.input_ids = std::move(prompt);
  r.sampling.temperature = 0;
  r.sampling.ignore_eos = true;
  r.sampling.max_new_tokens = max_new_tokens;
  return r;
}

// Runs `request`, checking that the deltas' text adds up to the result's text and their
// tokens to its output ids.
GenerateResult RunChecked(Engine& engine, const GenerateRequest& request) {
  std::string streamed;
  std::vector<int32_t> streamed_ids;
  auto result = engine.Generate(request, [&](const GenerateDelta& d) {
    streamed += d.text;
    streamed_ids.insert(streamed_ids.end(), d.token_ids.begin(), d.token_ids.end());
  });
  EXPECT_TRUE(result.ok()) << result.status().message();
  if (!result.ok()) return {};
  EXPECT_EQ(streamed, result->text);
  EXPECT_EQ(streamed_ids, result->output_ids);
  return std::move(result).value();
}

const std::vector<int32_t> kPrompt = {72, 101, 108, 108, 111, 44, 32, 119};

TEST(EngineTextTest, TextIsTheDecodedOutput) {
  auto engine = FixtureEngine();
  const GenerateResult r = RunChecked(*engine, Greedy(kPrompt, 48));
  ASSERT_EQ(r.output_ids.size(), 48u);
  EXPECT_EQ(r.text, engine->tokenizer().Decode(r.output_ids, true));
  EXPECT_FALSE(r.text.empty());
}

// A stop string taken from the middle of the unstopped text, spanning a token boundary.
struct StopCase {
  std::string stop;
  size_t text_pos;       // where it first occurs in the unstopped text
  size_t tokens_needed;  // output tokens until its text is complete
};

StopCase FindStopAcrossTokens(const Tokenizer& tok, const std::vector<int32_t>& ids, const std::string& full) {
  for (size_t k = 4; k + 2 < ids.size(); ++k) {
    const std::string before = tok.Decode(std::span<const int32_t>(ids).first(k), true);
    const std::string after = tok.Decode(std::span<const int32_t>(ids).first(k + 1), true);
    if (before.size() < 2 || after.size() < before.size() + 2 || full.compare(0, after.size(), after) != 0) continue;
    const std::string stop = full.substr(before.size() - 1, 3);  // last byte of token k-1, first two of token k
    if (stop.find('\xEF') != std::string::npos || full.find(stop) != before.size() - 1) continue;
    if ((static_cast<unsigned char>(stop[0]) & 0x80) || (static_cast<unsigned char>(stop[2]) & 0x80)) continue;
    return {stop, before.size() - 1, k + 1};
  }
  return {};
}

TEST(EngineTextTest, StopStringAcrossTokensCutsTheText) {
  auto engine = FixtureEngine();
  const GenerateResult full = RunChecked(*engine, Greedy(kPrompt, 64));
  const StopCase c = FindStopAcrossTokens(engine->tokenizer(), full.output_ids, full.text);
  ASSERT_FALSE(c.stop.empty()) << "no ASCII stop string across a token boundary in: " << full.text;

  GenerateRequest req = Greedy(kPrompt, 64);
  req.sampling.stop = {"never appears \x01", c.stop};
  const GenerateResult stopped = RunChecked(*engine, req);
  EXPECT_EQ(stopped.finish_reason.type, FinishReason::Type::kStop);
  EXPECT_EQ(stopped.finish_reason.matched_text, c.stop);
  EXPECT_FALSE(stopped.finish_reason.matched_token.has_value());
  EXPECT_EQ(stopped.text, full.text.substr(0, c.text_pos));
  EXPECT_EQ(stopped.output_ids, std::vector<int32_t>(full.output_ids.begin(), full.output_ids.begin() + c.tokens_needed));

  req.sampling.no_stop_trim = true;
  const GenerateResult kept = RunChecked(*engine, req);
  EXPECT_EQ(kept.text, full.text.substr(0, c.text_pos + c.stop.size()));
  EXPECT_EQ(kept.output_ids, stopped.output_ids);
}

TEST(EngineTextTest, StreamingHoldsBackAPossibleStopString) {
  auto engine = FixtureEngine();
  const GenerateResult full = RunChecked(*engine, Greedy(kPrompt, 64));
  const StopCase c = FindStopAcrossTokens(engine->tokenizer(), full.output_ids, full.text);
  ASSERT_FALSE(c.stop.empty());
  GenerateRequest req = Greedy(kPrompt, 64);
  req.sampling.stop = {c.stop};
  std::string streamed;
  bool leaked = false;
  auto r = engine->Generate(req, [&](const GenerateDelta& d) {
    streamed += d.text;
    // Until the end, nothing of the stop string's start may have been streamed.
    if (streamed.size() > c.text_pos) leaked = true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(leaked) << streamed;
  EXPECT_EQ(streamed, full.text.substr(0, c.text_pos));
}

TEST(EngineTextTest, MinNewTokensDelaysStopStrings) {
  auto engine = FixtureEngine();
  const GenerateResult full = RunChecked(*engine, Greedy(kPrompt, 64));
  const StopCase c = FindStopAcrossTokens(engine->tokenizer(), full.output_ids, full.text);
  ASSERT_FALSE(c.stop.empty());
  GenerateRequest req = Greedy(kPrompt, 64);
  req.sampling.stop = {c.stop};
  req.sampling.min_new_tokens = static_cast<int>(c.tokens_needed);  // the match's token is still blocked
  const GenerateResult r = RunChecked(*engine, req);
  EXPECT_GT(r.output_ids.size(), c.tokens_needed);
  if (r.finish_reason.type == FinishReason::Type::kStop) {
    EXPECT_GT(r.text.size(), c.text_pos) << "the blocked occurrence must not count";
  } else {
    EXPECT_EQ(r.text, full.text);
  }
}

TEST(EngineTextTest, StopTokenTextIsLeftOutUnlessNoStopTrim) {
  auto engine = FixtureEngine();
  const GenerateResult full = RunChecked(*engine, Greedy(kPrompt, 32));
  // A token first produced at output index i >= 3 whose text is not empty.
  size_t i = 3;
  auto first_at = [&](size_t k) {
    return std::find(full.output_ids.begin(), full.output_ids.end(), full.output_ids[k]) - full.output_ids.begin();
  };
  while (i < full.output_ids.size() &&
         (static_cast<size_t>(first_at(i)) != i || engine->tokenizer().Decode({&full.output_ids[i], 1}, true).empty()))
    ++i;
  ASSERT_LT(i, full.output_ids.size());
  const int32_t stop_token = full.output_ids[i];
  GenerateRequest req = Greedy(kPrompt, 32);
  req.sampling.stop_token_ids = {stop_token};
  const GenerateResult r = RunChecked(*engine, req);
  ASSERT_EQ(r.output_ids.size(), i + 1);
  EXPECT_EQ(r.finish_reason.type, FinishReason::Type::kStop);
  EXPECT_EQ(r.finish_reason.matched_token, stop_token);
  EXPECT_EQ(r.text, engine->tokenizer().Decode(std::span<const int32_t>(r.output_ids).first(i), true));
  req.sampling.no_stop_trim = true;
  const GenerateResult kept = RunChecked(*engine, req);
  EXPECT_EQ(kept.text, engine->tokenizer().Decode(kept.output_ids, true));
}

TEST(EngineTextTest, TextPromptIsEncoded) {
  auto engine = FixtureEngine();
  GenerateRequest req = Greedy({}, 4);
  req.text = "Hello, w";
  const GenerateResult r = RunChecked(*engine, req);
  EXPECT_EQ(r.stats.prompt_tokens, static_cast<int64_t>(engine->tokenizer().Encode("Hello, w", true).size()));
}

}  // namespace
}  // namespace sgl
