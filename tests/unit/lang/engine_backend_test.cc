// The frontend language on the real default model through the in-process Engine, greedy:
// gen continues exactly the prompt text the state built, consecutive gens and forks reuse
// the KV prefix (cached_tokens > 0), select returns one of its choices, streaming adds up,
// batches give what single runs give, and images are refused with a clear error.
#include "lang/engine_backend.h"

#include <gtest/gtest.h>

#include "lang/fork_group.h"
#include "lang/lang_model_fixture.h"
#include "lang/program.h"
#include "lang/state.h"
#include "tokenizer/tokenizer.h"

namespace sgl::lang {
namespace {

class EngineBackendTest : public test::LangModelTest {};

GenOptions Greedy(int max_tokens) { return {.max_tokens = max_tokens, .temperature = 0}; }

TEST_F(EngineBackendTest, GenContinuesThePromptTextTheStateBuilt) {
  State s = State::Create(Options());
  EXPECT_EQ(s.role_template().name, "default");  // what the Python frontend picks for SmolLM2
  s += user("What is the capital of France?") + assistant(gen("answer", Greedy(12)));
  ASSERT_TRUE(s.ok()) << s.status().message();
  const std::string prompt = "USER:What is the capital of France?\nASSISTANT:";
  EXPECT_EQ(s.text(), prompt + s["answer"].str() + "\n");
  GenerateRequest direct;
  direct.text = prompt;
  direct.input_ids = engine_->tokenizer().Encode(prompt, true);
  direct.sampling.max_new_tokens = 12;
  direct.sampling.temperature = 0;
  auto expected = engine_->Generate(direct);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(s["answer"].str(), expected->text);
  EXPECT_FALSE(expected->text.empty());
}

TEST_F(EngineBackendTest, ConsecutiveGensReuseTheCachedPrefix) {
  State s = State::Create(Options());
  s += "Here is a long story about a little robot who wanted to learn to paint. Once upon a time," +
       gen("first", Greedy(16)) + " Then" + gen("second", Greedy(16));
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE(s.meta("second"));
  EXPECT_GT(s.meta("second")->cached_tokens, s.meta("first")->prompt_tokens / 2);
  EXPECT_EQ(s.meta("second")->completion_tokens, 16);
}

TEST_F(EngineBackendTest, ForkBranchesShareThePrefixAndJoin) {
  State s = State::Create(Options());
  s += "The following are three facts about the ocean, each on its own line.";
  ForkGroup forks = s.fork(3);
  forks += [](size_t i) { return Expr("\nFact " + std::to_string(i + 1) + ":") + gen("fact", Greedy(8)); };
  forks.Join();
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s["fact"].list().size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(forks[i].ok());
    EXPECT_GT(forks[i].meta("fact")->cached_tokens, 0) << i;
    EXPECT_EQ(s["fact"].list()[i], forks[i]["fact"].str());
  }
}

TEST_F(EngineBackendTest, SelectReturnsOneOfTheChoices) {
  const std::vector<std::string> choices = {"yes", "no", "maybe"};
  State s = State::Create(Options());
  s += "Q: Is the sky blue on a clear day?\nA: " + select("answer", choices);
  ASSERT_TRUE(s.ok()) << s.status().message();
  const std::string answer = s["answer"].str();
  EXPECT_NE(std::find(choices.begin(), choices.end(), answer), choices.end()) << answer;
  EXPECT_EQ(s.text(), "Q: Is the sky blue on a clear day?\nA: " + answer);
}

TEST_F(EngineBackendTest, StreamingDeliversTheTextAsItIsMade) {
  RunOptions o = Options();
  std::vector<std::string> pieces;
  o.on_text = [&](std::string_view p) { pieces.emplace_back(p); };
  State s = State::Create(o);
  s += "Count: one, two," + gen("more", Greedy(10));
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::string joined;
  for (const std::string& p : pieces) joined += p;
  EXPECT_EQ(joined, s.text());
  EXPECT_GT(pieces.size(), 3u);  // the gen arrived in several pieces
}

TEST_F(EngineBackendTest, RunBatchMatchesSingleRuns) {
  Program<std::string> opposite([](State& s, std::string word) {
    s += "The opposite of " + word + " is" + gen("opposite", Greedy(4));
  });
  const std::vector<std::string> words = {"hot", "up", "big", "fast"};
  std::vector<std::tuple<std::string>> args;
  for (const std::string& w : words) args.emplace_back(w);
  std::vector<State> batch = opposite.RunBatch(Options(), args, 4);
  ASSERT_EQ(batch.size(), words.size());
  for (size_t i = 0; i < words.size(); ++i) {
    ASSERT_TRUE(batch[i].ok()) << batch[i].status().message();
    EXPECT_EQ(batch[i].text(), opposite.Run(Options(), words[i]).text());
  }
}

TEST_F(EngineBackendTest, ImagesAreRefusedClearly) {
  State s = State::Create(Options());
  s += user(image_bytes("not really a png") + "What is it?") + assistant(gen("what", Greedy(4)));
  EXPECT_FALSE(s.ok());
  // The images reach the engine, which refuses them for this text-only model.
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("does not take images"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace sgl::lang
