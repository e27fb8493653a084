// The Engine with images on the tiny Qwen2.5-VL fixture (CPU): each reference chat (one
// image, or two) through the rendered prompt text gives transformers' greedy tokens, its
// <|image_pad|> placeholders expand to the reference prompt's length, and the same chat
// again takes everything up to its last prompt token from the prefix cache.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "multimodal/qwen25vl_fixture.h"
#include "sgl/engine.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

TEST(EngineQwen25VlTest, ChatsWithImagesMatchTransformersGreedy) {
  EngineOptions o;
  o.device = "cpu";
  o.model_path = testing::SourcePath("tests/fixtures/models/qwen25vl/hf");
  o.num_threads = 2;
  o.max_total_tokens = 1024;
  auto engine = Engine::Create(o);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  const nlohmann::json reference = multimodal::test::Qwen25VlReference();
  ASSERT_GE(reference["cases"].size(), 3u);
  for (const auto& c : reference["cases"]) {
    SCOPED_TRACE(c["prompt_text"].get<std::string>());
    GenerateRequest request = multimodal::test::Qwen25VlChatRequest(c);
    const auto greedy = c["greedy"].get<std::vector<int32_t>>();
    request.sampling.temperature = 0;
    request.sampling.max_new_tokens = static_cast<int64_t>(greedy.size());
    request.sampling.ignore_eos = true;
    auto first = (*engine)->Generate(request);
    ASSERT_TRUE(first.ok()) << first.status().message();
    EXPECT_EQ(first->output_ids, greedy);
    const auto prompt_len = static_cast<int64_t>(c["input_ids"].size());
    EXPECT_EQ(first->stats.prompt_tokens, prompt_len);
    auto again = (*engine)->Generate(request);
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_EQ(again->output_ids, greedy);
    EXPECT_EQ(again->stats.cached_tokens, prompt_len - 1);  // the last prompt token is always computed
  }
}

}  // namespace
}  // namespace sgl
