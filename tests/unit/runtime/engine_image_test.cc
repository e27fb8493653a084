// The Engine with images on the tiny GLM-4.1V fixture (CPU): greedy tokens and top-5
// logprobs equal transformers' generate (reference.json "chat"); the radix cache on or
// off, and chunked prefill splitting the image, give the same output; a repeated image
// is reused from the prefix cache (cached tokens cover it) or from the encoder cache; and
// bad image input fails with a clear InvalidArgument.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "multimodal/glm4v_fixture.h"
#include "multimodal/vision_fixtures.h"
#include "sgl/engine.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

using ::testing::HasSubstr;

struct Options {
  bool disable_radix_cache = false;
  int64_t chunked_prefill_size = 512;
};

std::unique_ptr<Engine> Glm4vEngine(Options options = {}) {
  EngineOptions o;
  o.device = "cpu";
  o.model_path = testing::SourcePath("tests/fixtures/models/glm4v/hf");
  o.num_threads = 2;
  o.max_total_tokens = 1024;
  o.disable_radix_cache = options.disable_radix_cache;
  o.chunked_prefill_size = options.chunked_prefill_size;
  auto engine = Engine::Create(o);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return engine.ok() ? std::move(engine).value() : nullptr;
}

const nlohmann::json& Chat() {
  static const nlohmann::json chat = multimodal::test::Glm4vReference()["chat"];
  return chat;
}

ImageInput ChatImage() { return {.source = multimodal::test::PreprocessFixturePath(Chat()["image"])}; }

// The reference chat: its unexpanded prompt ids plus the image, greedy, with top-5 logprobs.
GenerateRequest ChatRequest() {
  GenerateRequest request;
  request.input_ids = Chat()["prompt_ids"].get<std::vector<int32_t>>();
  request.images = {ChatImage()};
  request.sampling.temperature = 0;
  request.sampling.max_new_tokens = static_cast<int64_t>(Chat()["greedy_ids"].size());
  request.sampling.ignore_eos = true;
  request.logprob.return_logprob = true;
  request.logprob.top_logprobs_num = 5;
  return request;
}

int64_t ImageEnd() {
  const auto ids = Chat()["input_ids"].get<std::vector<int32_t>>();
  return static_cast<int64_t>(ids.rend() - std::find(ids.rbegin(), ids.rend(), 500));  // past the last image token
}

void ExpectSameOutput(const GenerateResult& a, const GenerateResult& b) {
  EXPECT_EQ(a.output_ids, b.output_ids);
  ASSERT_EQ(a.output_logprobs.size(), b.output_logprobs.size());
  for (size_t i = 0; i < a.output_logprobs.size(); ++i)
    EXPECT_NEAR(a.output_logprobs[i].token.logprob, b.output_logprobs[i].token.logprob, 1e-4f) << "step " << i;
}

TEST(EngineImageTest, InfoSaysTheModelTakesImages) {
  auto engine = Glm4vEngine();
  ASSERT_NE(engine, nullptr);
  EXPECT_TRUE(engine->Info().accepts_images);
}

TEST(EngineImageTest, GreedyTokensAndLogprobsMatchTransformers) {
  auto engine = Glm4vEngine();
  ASSERT_NE(engine, nullptr);
  auto result = engine->Generate(ChatRequest());
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->output_ids, Chat()["greedy_ids"].get<std::vector<int32_t>>());
  EXPECT_EQ(result->stats.prompt_tokens, static_cast<int64_t>(Chat()["input_ids"].size()));
  EXPECT_EQ(result->stats.num_images, 1);
  ASSERT_EQ(result->output_logprobs.size(), Chat()["top5_ids"].size());
  for (size_t step = 0; step < result->output_logprobs.size(); ++step) {
    const PositionLogprobs& ours = result->output_logprobs[step];
    ASSERT_EQ(ours.top.size(), 5u);
    for (size_t k = 0; k < 5; ++k) {
      EXPECT_EQ(ours.top[k].token_id, Chat()["top5_ids"][step][k].get<int32_t>()) << "step " << step << " rank " << k;
      EXPECT_NEAR(ours.top[k].logprob, Chat()["top5_logprobs"][step][k].get<float>(), 2e-4f)
          << "step " << step << " rank " << k;
    }
  }
}

TEST(EngineImageTest, RadixCacheOnAndOffGiveTheSameOutput) {
  auto on = Glm4vEngine({.disable_radix_cache = false});
  auto off = Glm4vEngine({.disable_radix_cache = true});
  ASSERT_TRUE(on && off);
  auto a = off->Generate(ChatRequest());
  auto b = on->Generate(ChatRequest());
  auto c = on->Generate(ChatRequest());  // through the cached image
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ExpectSameOutput(*a, *b);
  ExpectSameOutput(*a, *c);
  EXPECT_GE(c->stats.cached_tokens, ImageEnd());
}

TEST(EngineImageTest, ChunkedPrefillSplittingTheImageGivesTheSameOutput) {
  auto whole = Glm4vEngine({.disable_radix_cache = true});
  ASSERT_NE(whole, nullptr);
  auto expected = whole->Generate(ChatRequest());
  ASSERT_TRUE(expected.ok());
  for (int64_t chunk : {3, 7, 10}) {  // the image's tokens are prompt positions [7, 19)
    SCOPED_TRACE(chunk);
    for (bool disable : {true, false}) {
      auto chunked = Glm4vEngine({.disable_radix_cache = disable, .chunked_prefill_size = chunk});
      ASSERT_NE(chunked, nullptr);
      auto result = chunked->Generate(ChatRequest());
      ASSERT_TRUE(result.ok()) << result.status().message();
      EXPECT_GT(result->stats.prefill_chunks, 1);
      ExpectSameOutput(*expected, *result);
    }
  }
}

TEST(EngineImageTest, ASecondTurnWithTheSameImageReusesItFromTheRadixCache) {
  auto engine = Glm4vEngine();
  ASSERT_NE(engine, nullptr);
  GenerateRequest turn1 = ChatRequest();
  auto first = engine->Generate(turn1);
  ASSERT_TRUE(first.ok());
  EXPECT_GT(first->stats.vision_encode_seconds, 0);
  EXPECT_EQ(first->stats.encoder_cache_hits, 0);
  EXPECT_LT(first->stats.cached_tokens, ImageEnd());
  // Turn 2: the whole first turn, its answer and a follow-up, with the image sent again
  // (re-encoded as another file would be: the same pixels give the same hash).
  GenerateRequest turn2 = turn1;
  turn2.input_ids.insert(turn2.input_ids.end(), first->output_ids.begin(), first->output_ids.end());
  for (int32_t id : {260, 10, 87, 104, 121, 63, 261, 10}) turn2.input_ids.push_back(id);  // <|user|>\nWhy?<|assistant|>\n
  turn2.images = {{.bytes = multimodal::test::ReadPreprocessFixture(Chat()["image"])}};
  auto second = engine->Generate(turn2);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_GE(second->stats.cached_tokens, first->stats.prompt_tokens + first->stats.completion_tokens - 1);
  EXPECT_EQ(second->stats.vision_encode_seconds, 0);  // the image's tokens were all cached
}

TEST(EngineImageTest, TheEncoderCacheServesARepeatedImage) {
  auto engine = Glm4vEngine({.disable_radix_cache = true});
  ASSERT_NE(engine, nullptr);
  auto first = engine->Generate(ChatRequest());
  auto second = engine->Generate(ChatRequest());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->stats.encoder_cache_hits, 0);
  EXPECT_EQ(second->stats.encoder_cache_hits, 1);
  EXPECT_EQ(second->stats.vision_encode_seconds, 0);
  EXPECT_EQ(second->stats.cached_tokens, 0);
  ExpectSameOutput(*first, *second);
}

TEST(EngineImageTest, DifferentImagesAreNotConfusedByTheCache) {
  auto engine = Glm4vEngine();
  ASSERT_NE(engine, nullptr);
  auto first = engine->Generate(ChatRequest());
  GenerateRequest other = ChatRequest();
  other.images = {{.source = multimodal::test::PreprocessFixturePath("src_64x300.png")}};
  auto second = engine->Generate(other);
  ASSERT_TRUE(first.ok() && second.ok()) << second.status().message();
  EXPECT_EQ(second->stats.cached_tokens, 5);  // [gMASK]<sop><|user|>\n<|begin_of_image|>, not the image
  EXPECT_NE(first->output_logprobs[0].token.logprob, second->output_logprobs[0].token.logprob);
}

Status SubmitStatus(Engine& engine, const GenerateRequest& request) {
  auto result = engine.Generate(request);
  return result.ok() ? Status::Ok() : result.status();
}

TEST(EngineImageTest, BadImageInputIsAClearInvalidArgument) {
  auto engine = Glm4vEngine();
  ASSERT_NE(engine, nullptr);
  GenerateRequest two_images = ChatRequest();
  two_images.images.push_back(ChatImage());
  Status s = SubmitStatus(*engine, two_images);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("1 image placeholder(s)"));
  EXPECT_THAT(s.message(), HasSubstr("2 image(s)"));

  GenerateRequest no_placeholder = ChatRequest();
  no_placeholder.input_ids = {7, 8, 9};
  EXPECT_EQ(SubmitStatus(*engine, no_placeholder).code(), StatusCode::kInvalidArgument);

  GenerateRequest remote = ChatRequest();
  remote.images = {{.source = "https://example.com/cat.png"}};
  s = SubmitStatus(*engine, remote);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);  // no fetching; the server answers 400 all the same
  EXPECT_THAT(s.message(), HasSubstr("image 0"));

  GenerateRequest corrupt = ChatRequest();
  corrupt.images = {{.bytes = "\x89PNG\r\n\x1a\n this is not a png"}};
  s = SubmitStatus(*engine, corrupt);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("image 0"));

  // The engine keeps serving after the refusals.
  EXPECT_TRUE(engine->Generate(ChatRequest()).ok());
}

TEST(EngineImageTest, ATextOnlyModelRefusesImages) {
  EngineOptions o;
  o.device = "cpu";
  o.model_path = testing::SourcePath("tests/fixtures/models/qwen3/model.gguf");
  o.num_threads = 1;
  o.max_total_tokens = 256;
  auto engine = Engine::Create(o);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  EXPECT_FALSE((*engine)->Info().accepts_images);
  GenerateRequest request;
  request.input_ids = {5, 6, 7};
  request.sampling.max_new_tokens = 2;
  request.images = {ChatImage()};
  const Status s = SubmitStatus(**engine, request);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("does not take images"));
}

}  // namespace
}  // namespace sgl
