// The vision encoder on CUDA drives a CudaBackend of its own (stream, cuBLAS handle,
// scratch, no graphs) on its own thread beside the scheduler's (cuda_engine_image_test.cc
// checks the image path's tokens): image requests encoded while text requests decode
// (CUDA graphs and all) give the same tokens as each alone, and a text request submitted
// while an encode is held at a gate (before_vision_encode) finishes first, the held request
// then giving transformers' greedy tokens up to a reference near-tie.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>

#include <nlohmann/json.hpp>

#include "backend/cuda/cuda_device.h"
#include "multimodal/vision_fixtures.h"
#include "sgl/engine.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

constexpr double kNearTieLogprob = 0.05;  // top-1 minus top-2 logprob below this is a near-tie

// One reference chat: the prompt as text with its images, and transformers' greedy tokens
// with the top-1 minus top-2 gap at each step.
struct ChatCase {
  std::string model;
  std::string prompt_text;
  std::vector<std::string> images;
  std::vector<int32_t> greedy;
  std::vector<double> gaps;
};

nlohmann::json Reference(const std::string& model) {
  return nlohmann::json::parse(
      testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/models/" + model + "/reference.json")));
}

std::vector<ChatCase> Cases() {
  std::vector<ChatCase> cases;
  const nlohmann::json glm = Reference("glm4v")["chat"];
  ChatCase g{"glm4v", glm["prompt_text"].get<std::string>(), {glm["image"].get<std::string>()},
             glm["greedy_ids"].get<std::vector<int32_t>>(), {}};
  for (const auto& top : glm["top5_logprobs"]) g.gaps.push_back(top[0].get<double>() - top[1].get<double>());
  cases.push_back(std::move(g));
  for (const auto& c : Reference("qwen25vl")["cases"])
    cases.push_back({"qwen25vl", c["prompt_text"].get<std::string>(), c["images"].get<std::vector<std::string>>(),
                     c["greedy"].get<std::vector<int32_t>>(), c["greedy_top2_gaps"].get<std::vector<double>>()});
  return cases;
}

std::unique_ptr<Engine> CudaEngine(const std::string& model, std::function<Status()> before_encode = nullptr) {
  EngineOptions o;
  o.device = "cuda";
  o.model_path = testing::SourcePath("tests/fixtures/models/" + model + "/hf");
  o.max_total_tokens = 4096;
  o.before_vision_encode = std::move(before_encode);
  auto engine = Engine::Create(o);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return engine.ok() ? std::move(engine).value() : nullptr;
}

GenerateRequest Request(const ChatCase& c) {
  GenerateRequest r;
  r.text = c.prompt_text;
  for (const std::string& image : c.images) r.images.push_back({.source = multimodal::test::PreprocessFixturePath(image)});
  r.sampling.temperature = 0;
  r.sampling.max_new_tokens = static_cast<int64_t>(c.greedy.size());
  r.sampling.ignore_eos = true;
  return r;
}

GenerateRequest TextRequest() {
  GenerateRequest r;
  r.input_ids = {260, 10, 87, 104, 121, 63, 261, 10};
  r.sampling.temperature = 0;
  r.sampling.max_new_tokens = 16;
  r.sampling.ignore_eos = true;
  return r;
}

// Equal to the reference, or parting from it only where its top two were a near-tie.
void ExpectReferenceGreedy(const ChatCase& c, const std::vector<int32_t>& got) {
  ASSERT_EQ(got.size(), c.greedy.size());
  const size_t at = std::mismatch(got.begin(), got.end(), c.greedy.begin()).first - got.begin();
  if (at == got.size()) return;
  EXPECT_LT(c.gaps[at], kNearTieLogprob) << c.model << ": parts from transformers at step " << at
                                         << " where the reference's top two are " << c.gaps[at] << " apart";
}

class CudaEngineImageEncodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::DeviceVisible()) GTEST_SKIP() << "no CUDA device is visible: CUDA tests need a GPU";
  }
};

TEST_F(CudaEngineImageEncodeTest, EncodesBesideDecodingGiveTheSameTokens) {
  auto engine = CudaEngine("qwen25vl");
  ASSERT_NE(engine, nullptr);
  std::vector<ChatCase> cases;
  for (const ChatCase& c : Cases())
    if (c.model == "qwen25vl") cases.push_back(c);
  auto alone = engine->Generate(TextRequest());
  ASSERT_TRUE(alone.ok()) << alone.status().message();
  std::vector<std::vector<int32_t>> image_alone;
  for (const ChatCase& c : cases) {
    auto r = engine->Generate(Request(c));
    ASSERT_TRUE(r.ok()) << r.status().message();
    image_alone.push_back(r->output_ids);
  }
  // Fresh encodes (a new engine, so no encoder-cache hits) while text requests decode.
  engine = CudaEngine("qwen25vl");
  ASSERT_NE(engine, nullptr);
  std::vector<GenerateHandle> texts, images;
  for (int i = 0; i < 4; ++i) texts.push_back(engine->Submit(TextRequest(), {}));
  for (const ChatCase& c : cases) images.push_back(engine->Submit(Request(c), {}));
  for (int i = 0; i < 4; ++i) texts.push_back(engine->Submit(TextRequest(), {}));
  for (GenerateHandle& h : texts) {
    auto r = h.result.get();
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->output_ids, alone->output_ids);
  }
  for (size_t i = 0; i < images.size(); ++i) {
    auto r = images[i].result.get();
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->output_ids, image_alone[i]) << cases[i].prompt_text;
    EXPECT_EQ(r->stats.encoder_cache_hits, i == 2 ? 1 : 0);  // case 2 repeats case 0's image
  }
}

TEST_F(CudaEngineImageEncodeTest, ATextRequestFinishesWhileAnImageEncodes) {
  std::promise<void> started, open;
  std::shared_future<void> opened = open.get_future().share();
  std::atomic<bool> started_set{false};
  auto engine = CudaEngine("glm4v", [&]() -> Status {
    if (!started_set.exchange(true)) started.set_value();
    opened.wait();
    return Status::Ok();
  });
  ASSERT_NE(engine, nullptr);
  const ChatCase c = Cases()[0];
  GenerateHandle image = engine->Submit(Request(c), {});
  const bool held = started.get_future().wait_for(std::chrono::seconds(120)) == std::future_status::ready;
  GenerateHandle text = engine->Submit(TextRequest(), {});
  const bool text_first = held && text.result.wait_for(std::chrono::seconds(120)) == std::future_status::ready;
  const bool image_waited = image.result.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
  open.set_value();
  EXPECT_TRUE(held);
  EXPECT_TRUE(text_first) << "the text request waited for the image's encode";
  EXPECT_TRUE(image_waited);
  auto r = image.result.get();
  ASSERT_TRUE(r.ok()) << r.status().message();
  ExpectReferenceGreedy(c, r->output_ids);
}

}  // namespace
}  // namespace sgl
