// Image chat through the Engine on the CUDA backend, for both vision-language fixtures:
// the whole image path (decode, preprocess, the tower on the GPU, pad ids from the hash,
// M-RoPE positions, the language model) gives transformers' greedy tokens up to BF16
// near-ties and its first-step log-probabilities within BF16 tolerance; a repeated chat
// takes the image from the radix cache and chunked prefill may split an image, with the
// same tokens.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "backend/cuda/cuda_device.h"
#include "multimodal/glm4v_fixture.h"
#include "multimodal/vision_fixtures.h"
#include "sgl/engine.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

// BF16 activations move a log-probability by a few hundredths on these fixtures; a
// greedy choice may flip only where transformers' top two logits are this close.
constexpr float kLogprobTolerance = 6e-2f;
constexpr double kNearTieGap = 0.1;

class CudaEngineImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::DeviceVisible()) GTEST_SKIP() << "no CUDA device is visible: CUDA tests need a GPU";
  }

  static std::unique_ptr<Engine> MakeEngine(const std::string& fixture, int64_t chunk = 512) {
    EngineOptions o;
    o.device = "cuda";
    o.model_path = testing::SourcePath("tests/fixtures/models/" + fixture + "/hf");
    o.max_total_tokens = 2048;
    o.chunked_prefill_size = chunk;
    auto engine = Engine::Create(o);
    EXPECT_TRUE(engine.ok()) << engine.status().message();
    if (!engine.ok()) return nullptr;
    EXPECT_NE((*engine)->Info().backend.find("cuda"), std::string::npos);
    return std::move(engine).value();
  }
};

GenerateRequest Greedy(GenerateRequest request, size_t tokens) {
  request.sampling.temperature = 0;
  request.sampling.max_new_tokens = static_cast<int64_t>(tokens);
  request.sampling.ignore_eos = true;
  request.logprob.return_logprob = true;
  request.logprob.top_logprobs_num = 5;
  return request;
}

const nlohmann::json& GlmChat() {
  static const nlohmann::json chat = multimodal::test::Glm4vReference()["chat"];
  return chat;
}

GenerateRequest GlmChatRequest() {
  GenerateRequest request;
  request.input_ids = GlmChat()["prompt_ids"].get<std::vector<int32_t>>();
  request.images = {{.source = multimodal::test::PreprocessFixturePath(GlmChat()["image"])}};
  return Greedy(std::move(request), GlmChat()["greedy_ids"].size());
}

// Prompt positions up to the end of the chat's image (its last <|image|>, id 500).
int64_t GlmImageEnd() {
  const auto ids = GlmChat()["input_ids"].get<std::vector<int32_t>>();
  return static_cast<int64_t>(ids.rend() - std::find(ids.rbegin(), ids.rend(), 500));
}

TEST_F(CudaEngineImageTest, Glm4vChatGivesTransformersTokensAndLogprobs) {
  auto engine = MakeEngine("glm4v");
  ASSERT_NE(engine, nullptr);
  auto result = engine->Generate(GlmChatRequest());
  ASSERT_TRUE(result.ok()) << result.status().message();
  // The fixture's greedy choices win by more than 0.8 nats at every step: no near-ties.
  EXPECT_EQ(result->output_ids, GlmChat()["greedy_ids"].get<std::vector<int32_t>>());
  EXPECT_EQ(result->stats.prompt_tokens, static_cast<int64_t>(GlmChat()["input_ids"].size()));
  ASSERT_EQ(result->output_logprobs.size(), GlmChat()["top5_logprobs"].size());
  for (size_t step = 0; step < result->output_logprobs.size(); ++step)
    EXPECT_NEAR(result->output_logprobs[step].top[0].logprob, GlmChat()["top5_logprobs"][step][0].get<float>(),
                kLogprobTolerance)
        << "step " << step;
}

TEST_F(CudaEngineImageTest, Glm4vRepeatedImageComesFromTheRadixCacheAndChunksMaySplitIt) {
  auto engine = MakeEngine("glm4v");
  ASSERT_NE(engine, nullptr);
  auto first = engine->Generate(GlmChatRequest());
  auto again = engine->Generate(GlmChatRequest());
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_GE(again->stats.cached_tokens, GlmImageEnd());
  EXPECT_EQ(again->output_ids, first->output_ids);
  for (int64_t chunk : {3, 10}) {  // the image's tokens are prompt positions [7, 19)
    SCOPED_TRACE(chunk);
    auto chunked = MakeEngine("glm4v", chunk);
    ASSERT_NE(chunked, nullptr);
    auto result = chunked->Generate(GlmChatRequest());
    ASSERT_TRUE(result.ok()) << result.status().message();
    EXPECT_GT(result->stats.prefill_chunks, 1);
    EXPECT_EQ(result->output_ids, first->output_ids);
  }
}

// log_softmax of one row of logits.
std::vector<double> LogSoftmax(const std::vector<float>& logits) {
  const double max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float v : logits) sum += std::exp(v - max);
  std::vector<double> out;
  for (float v : logits) out.push_back(v - max - std::log(sum));
  return out;
}

TEST_F(CudaEngineImageTest, Qwen25VlChatsGiveTransformersTokensUpToNearTies) {
  auto engine = MakeEngine("qwen25vl");
  ASSERT_NE(engine, nullptr);
  const nlohmann::json reference = nlohmann::json::parse(
      testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/models/qwen25vl/reference.json")));
  ASSERT_GE(reference["cases"].size(), 3u);
  for (const auto& c : reference["cases"]) {
    SCOPED_TRACE(c["prompt_text"].get<std::string>());
    GenerateRequest request;
    request.text = c["prompt_text"].get<std::string>();
    for (const auto& image : c["images"])
      request.images.push_back({.source = multimodal::test::PreprocessFixturePath(image.get<std::string>())});
    const auto greedy = c["greedy"].get<std::vector<int32_t>>();
    const auto gaps = c["greedy_top2_gaps"].get<std::vector<double>>();
    auto result = engine->Generate(Greedy(request, greedy.size()));
    ASSERT_TRUE(result.ok()) << result.status().message();
    const auto prompt_len = static_cast<int64_t>(c["input_ids"].size());
    EXPECT_EQ(result->stats.prompt_tokens, prompt_len);

    // The first step's top-5 against transformers' logits at the last prompt position.
    const auto want = LogSoftmax(c["logits"][prompt_len - 1].get<std::vector<float>>());
    for (const TokenLogprob& top : result->output_logprobs.at(0).top)
      EXPECT_NEAR(top.logprob, want.at(top.token_id), kLogprobTolerance) << "token " << top.token_id;

    // Tokens equal transformers' until a step where its top two are a near-tie.
    size_t step = 0;
    while (step < greedy.size() && result->output_ids.at(step) == greedy[step]) ++step;
    if (step < greedy.size()) {
      EXPECT_LT(gaps[step], kNearTieGap) << "parted from transformers at step " << step << ", no near-tie there";
    }

    auto again = engine->Generate(Greedy(request, greedy.size()));
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_EQ(again->stats.cached_tokens, prompt_len - 1);  // the last prompt token is always computed
  }
}

}  // namespace
}  // namespace sgl
