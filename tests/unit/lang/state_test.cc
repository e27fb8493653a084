// State without a model (ScriptedBackend): what text, variables, messages and sampling
// each primitive produces, forks and joins, streaming, and errors as values.
#include "lang/state.h"

#include <gtest/gtest.h>

#include "lang/base64.h"
#include "lang/fork_group.h"
#include "lang/program.h"
#include "lang/scripted_backend.h"
#include "testing/temp_dir.h"

namespace sgl::lang {
namespace {

struct Fixture {
  std::shared_ptr<test::ScriptedBackend> backend;
  RunOptions options;
  explicit Fixture(const std::string& model_path = "/models/SmolLM2-135M-Instruct.Q4_1.gguf")
      : backend(std::make_shared<test::ScriptedBackend>(model_path)) {
    options.backend = backend;
  }
};

TEST(StateTest, GenAppendsItsTextAndCapturesIt) {
  Fixture f;
  f.backend->answers = {" Paris", " blue"};
  State s = State::Create(f.options);
  s += "The capital of France is" + gen("city", {.max_tokens = 8, .temperature = 0, .stop = {"."}});
  s += ". Sky:" + gen("color");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s.text(), "The capital of France is Paris. Sky: blue");
  EXPECT_EQ(s["city"].str(), " Paris");
  EXPECT_EQ(s["color"].str(), " blue");
  ASSERT_EQ(f.backend->prompts.size(), 2u);
  EXPECT_EQ(f.backend->prompts[0].text, "The capital of France is");
  EXPECT_EQ(f.backend->prompts[1].text, "The capital of France is Paris. Sky:");
  // Options set on gen override the defaults; the rest are SglFunction.run's defaults.
  EXPECT_EQ(f.backend->samplings[0].max_new_tokens, 8);
  EXPECT_EQ(f.backend->samplings[0].temperature, 0.0f);
  EXPECT_EQ(f.backend->samplings[0].stop, std::vector<std::string>{"."});
  EXPECT_EQ(f.backend->samplings[1].max_new_tokens, 128);
  EXPECT_EQ(f.backend->samplings[1].temperature, 1.0f);
  EXPECT_TRUE(f.backend->samplings[1].stop.empty());
}

TEST(StateTest, TemplateStopStringsJoinEveryGen) {
  Fixture f("Qwen/Qwen2.5-7B-Instruct");
  f.backend->answers = {"ok"};
  State s = State::Create(f.options);
  s += assistant(gen("a", {.stop = {"\n"}}));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(f.backend->samplings[0].stop, (std::vector<std::string>{"\n", "<|im_end|>"}));
  // qwen has a default system prompt: it comes first.
  EXPECT_EQ(s.text(), "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>assistant\nok<|im_end|>\n");
}

TEST(StateTest, RolesRecordMessages) {
  Fixture f;
  f.backend->answers = {" Four."};
  State s = State::Create(f.options);
  s += lang::system("Be brief.");
  s += user("What is 2 + 2?");
  s += assistant(gen("answer"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.text(), "SYSTEM:Be brief.\nUSER:What is 2 + 2?\nASSISTANT: Four.\n");
  ASSERT_EQ(s.messages().size(), 3u);
  EXPECT_EQ(s.messages()[2].role, "assistant");
  EXPECT_EQ(s.messages()[2].content, "Four.");  // leading whitespace stripped, as the frontend does
}

TEST(StateTest, RoleMisuseIsAnError) {
  Fixture f;
  State nested = State::Create(f.options);
  nested += user_begin() + assistant("x");
  EXPECT_FALSE(nested.ok());
  State unopened = State::Create(f.options);
  unopened += user_end();
  EXPECT_FALSE(unopened.ok());
  unopened += "more";  // ignored after an error
  EXPECT_EQ(unopened.text(), "");
}

TEST(StateTest, ForkBranchesAndJoinGathersTheirVariables) {
  Fixture f;
  f.backend->answers = {" red", " red"};
  State s = State::Create(f.options);
  s += "Colors.";
  ForkGroup forks = s.fork(2);
  EXPECT_EQ(f.backend->prefills, 1);  // the shared prefix is prefilled once
  forks += [](size_t i) { return Expr(" Color " + std::to_string(i) + ":") + gen("color"); };
  EXPECT_EQ(forks[0].text(), "Colors. Color 0: red");
  EXPECT_EQ(forks[1].text(), "Colors. Color 1: red");
  EXPECT_FALSE(s.contains("color"));
  forks.Join();
  ASSERT_TRUE(s["color"].is_list());
  EXPECT_EQ(s["color"].list(), (std::vector<std::string>{" red", " red"}));
  EXPECT_EQ(s.text(), "Colors.");
}

TEST(StateTest, StreamingPiecesAddUpToTheText) {
  Fixture f;
  f.backend->answers = {" Paris"};
  std::string streamed;
  f.options.on_text = [&](std::string_view piece) { streamed += piece; };
  State s = State::Create(f.options);
  s += user("Capital?") + assistant(gen("city"));
  EXPECT_EQ(streamed, s.text());
}

TEST(StateTest, ImagesGoToTheBackendAsBase64) {
  Fixture f;
  f.backend->answers = {"a cat"};
  sgl::test::TempDir dir;
  const std::string path = dir.Write("cat.png", std::string_view("\x89PNG fake", 9));
  State s = State::Create(f.options);
  s += user(image(path) + "What is this?") + assistant(gen("what"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s.text(), "USER:<image>What is this?\nASSISTANT:a cat\n");
  ASSERT_EQ(f.backend->prompts[0].images_base64.size(), 1u);
  EXPECT_EQ(f.backend->prompts[0].images_base64[0], Base64Encode(std::string_view("\x89PNG fake", 9)));
  EXPECT_EQ(s.messages()[0].images_base64.size(), 1u);

  State missing = State::Create(f.options);
  missing += image(dir.PathOf("absent.png"));
  EXPECT_FALSE(missing.ok());
}

TEST(StateTest, BackendErrorsBecomeTheStatesStatus) {
  Fixture f;  // no scripted answers: Generate fails
  State s = State::Create(f.options);
  s += "x" + gen("y") + "z";
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("gen 'y'"), std::string::npos);
  EXPECT_EQ(s.text(), "x");
  State no_choices = State::Create(f.options);
  no_choices += select("c", {});
  EXPECT_FALSE(no_choices.ok());
  EXPECT_FALSE(State::Create(RunOptions{}).ok());  // no backend
}

TEST(StateTest, RunBatchKeepsOrder) {
  Fixture f;
  Program<int> p([](State& s, int i) { s += std::to_string(i); });
  std::vector<std::tuple<int>> args;
  for (int i = 0; i < 20; ++i) args.emplace_back(i);
  std::vector<State> states = p.RunBatch(f.options, args, 4);
  ASSERT_EQ(states.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(states[i].text(), std::to_string(i));
}

}  // namespace
}  // namespace sgl::lang
