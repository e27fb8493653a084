// The chat prompts of the real-model references were made by transformers'
// apply_chat_template on the same GGUF: ours must give the very same token ids.
#include "tokenizer/chat_prompt.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "testing/test_paths.h"

namespace sgl {
namespace {

TEST(ChatPromptTest, MatchesTransformersApplyChatTemplateOnSmolLM2) {
  const std::string model = testing::SourcePath("models/SmolLM2-135M-Instruct.Q4_1.gguf");
  ASSERT_TRUE(std::filesystem::exists(model)) << model << " is missing: run scripts/fetch_models.sh";
  auto tokenizer = Tokenizer::FromModelPath(model);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  auto chat = ChatPrompt::Load(model, **tokenizer);
  ASSERT_TRUE(chat.ok()) << chat.status().message();
  const auto ref = nlohmann::ordered_json::parse(
      testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/real/smollm2_reference.json")));
  int checked = 0;
  for (const auto& prompt : ref.at("prompts")) {
    if (prompt.at("kind") != "chat") continue;
    auto text = chat->Render(prompt.at("messages"), /*add_generation_prompt=*/true);
    ASSERT_TRUE(text.ok()) << text.status().message();
    EXPECT_EQ(*text, prompt.at("prompt_text").get<std::string>());
    auto ids = chat->Encode(prompt.at("messages"), /*add_generation_prompt=*/true);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, prompt.at("prompt_ids").get<std::vector<int32_t>>());
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

// A vision-language template over a content list with an image part: the GLM-4.1V fixture's
// template renders {"type": "image"} as <|begin_of_image|><|image|><|end_of_image|> exactly
// as transformers' apply_chat_template did (make_glm4v_fixture.py), and the same ids.
TEST(ChatPromptTest, RendersImagePartsAsTransformersDoesForGlm4v) {
  const std::string model = testing::SourcePath("tests/fixtures/models/glm4v/hf");
  auto tokenizer = Tokenizer::FromModelPath(model);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  auto chat = ChatPrompt::Load(model, **tokenizer);
  ASSERT_TRUE(chat.ok()) << chat.status().message();
  const auto ref = nlohmann::ordered_json::parse(
      testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/models/glm4v/reference.json")))["chat"];
  auto text = chat->Render(ref["messages"], true);
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_EQ(*text, ref["prompt_text"].get<std::string>());
  auto ids = chat->Encode(ref["messages"], true);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, ref["prompt_ids"].get<std::vector<int32_t>>());
}

TEST(ChatPromptTest, ModelWithoutTemplateIsAClearError) {
  const std::string model = testing::SourcePath("models/gemma-3-270m-q4_k_m.gguf");
  ASSERT_TRUE(std::filesystem::exists(model)) << model << " is missing: run scripts/fetch_models.sh";
  auto tokenizer = Tokenizer::FromModelPath(model);
  ASSERT_TRUE(tokenizer.ok());
  auto chat = ChatPrompt::Load(model, **tokenizer);
  ASSERT_FALSE(chat.ok());
  EXPECT_NE(chat.status().message().find("no chat template"), std::string::npos);
}

}  // namespace
}  // namespace sgl
