// Program's ways to run: sampling overrides for one run (over the defaults, under gen's
// own options), AsyncRun's future, and RunBatch with overrides.
#include "lang/program.h"

#include <gtest/gtest.h>

#include "lang/scripted_backend.h"

namespace sgl::lang {
namespace {

std::shared_ptr<test::ScriptedBackend> Backend(int num_answers) {
  auto b = std::make_shared<test::ScriptedBackend>("/m/SmolLM2-135M-Instruct");
  for (int i = 0; i < num_answers; ++i) b->answers.push_back(" a" + std::to_string(i));
  return b;
}

const Program<std::string> kTwoGens([](State& s, std::string q) {
  s += q + gen("free") + gen("fixed", {.max_tokens = 3, .temperature = 0.25f});
});

TEST(ProgramTest, RunOverridesTheDefaultsButNotGensOwnOptions) {
  auto backend = Backend(2);
  const RunOptions options{.backend = backend};
  State s = kTwoGens.Run(options, {.max_new_tokens = 512, .temperature = 0.7f, .stop = std::vector<std::string>{"END"}}, "Q:");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(backend->samplings.size(), 2u);
  EXPECT_EQ(backend->samplings[0].max_new_tokens, 512);
  EXPECT_FLOAT_EQ(backend->samplings[0].temperature, 0.7f);
  EXPECT_EQ(backend->samplings[0].stop, std::vector<std::string>{"END"});
  EXPECT_EQ(backend->samplings[1].max_new_tokens, 3);  // gen's own options win
  EXPECT_FLOAT_EQ(backend->samplings[1].temperature, 0.25f);
  EXPECT_FLOAT_EQ(backend->samplings[0].top_p, options.defaults.top_p);  // unset: the defaults
  EXPECT_FLOAT_EQ(options.defaults.temperature, 1.0f);                  // the options are untouched
}

TEST(ProgramTest, AsyncRunReturnsTheStateThroughAFuture) {
  auto backend = Backend(2);
  std::future<State> future = kTwoGens.AsyncRun({.backend = backend}, {.max_new_tokens = 7}, "Q:");
  State s = future.get();
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s.text(), "Q: a0 a1");
  EXPECT_EQ(backend->samplings[0].max_new_tokens, 7);
  State plain = kTwoGens.AsyncRun({.backend = Backend(2)}, "P:").get();
  EXPECT_EQ(plain.text(), "P: a0 a1");
  State failed = kTwoGens.AsyncRun({}, "no backend").get();  // errors come back as values
  EXPECT_FALSE(failed.ok());
}

TEST(ProgramTest, RunBatchTakesOverridesToo) {
  auto backend = Backend(8);
  std::vector<std::tuple<std::string>> batch = {{"A"}, {"B"}, {"C"}, {"D"}};
  std::vector<State> states = kTwoGens.RunBatch({.backend = backend}, {.temperature = 0}, batch, 2);
  ASSERT_EQ(states.size(), 4u);
  for (size_t i = 0; i < states.size(); ++i) {
    ASSERT_TRUE(states[i].ok());
    EXPECT_EQ(states[i].text().substr(0, 1), std::get<0>(batch[i]));
  }
  ASSERT_EQ(backend->samplings.size(), 8u);
  int overridden = 0;
  for (const SamplingParams& p : backend->samplings) overridden += p.temperature == 0.0f;
  EXPECT_EQ(overridden, 4);  // the free gens; the fixed ones keep their 0.25
}

}  // namespace
}  // namespace sgl::lang
