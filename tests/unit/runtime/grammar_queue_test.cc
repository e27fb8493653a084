// GrammarQueue: jobs compile off the caller's thread into matchers at the grammar's start;
// a bad grammar comes back as its error; the same grammar twice is a cache hit; the
// vocabulary is built once, at the first compile; jobs never started get an error when
// the queue is destroyed.
#include "runtime/grammar_queue.h"

#include <atomic>
#include <future>

#include <gtest/gtest.h>

namespace sgl {
namespace {

using constrain::GrammarKind;
using constrain::GrammarSpec;

std::shared_ptr<const constrain::TokenVocabulary> ToyVocab() {
  return std::make_shared<constrain::TokenVocabulary>(std::vector<std::string>{"a", "b", "ab", "</s>"},
                                                      std::vector<int32_t>{3}, std::vector<int32_t>{});
}

Result<PreparedGrammar> CompileNow(GrammarQueue& queue, GrammarSpec spec) {
  std::promise<Result<PreparedGrammar>> done;
  auto future = done.get_future();
  queue.Enqueue(std::move(spec), [&](Result<PreparedGrammar> r) { done.set_value(std::move(r)); });
  return future.get();
}

TEST(GrammarQueueTest, CompilesReportsErrorsAndHitsTheCache) {
  std::atomic<int> vocab_builds{0};
  GrammarQueue queue(
      [&] {
        ++vocab_builds;
        return ToyVocab();
      },
      2);
  auto first = CompileNow(queue, {GrammarKind::kRegex, "(ab)+", {}});
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_FALSE(first->cache_hit);
  EXPECT_GE(first->compile_seconds, 0);
  EXPECT_TRUE(first->matcher->AcceptToken(2));
  EXPECT_TRUE(first->matcher->CanEnd());

  auto again = CompileNow(queue, {GrammarKind::kRegex, "(ab)+", {}});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->cache_hit);
  EXPECT_EQ(again->matcher->num_steps(), 0);  // a matcher of its own, at the start

  auto bad = CompileNow(queue, {GrammarKind::kRegex, "a(?<=b)", {}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("lookbehind"), std::string::npos) << bad.status().message();
  EXPECT_EQ(vocab_builds.load(), 1);
}

TEST(GrammarQueueTest, DestroyedQueueAnswersEveryJob) {
  std::atomic<int> answered{0};
  {
    GrammarQueue queue(ToyVocab, 1);
    for (int i = 0; i < 20; ++i)
      queue.Enqueue({GrammarKind::kRegex, "a{" + std::to_string(i) + "}", {}},
                    [&](Result<PreparedGrammar>) { ++answered; });
  }
  EXPECT_EQ(answered.load(), 20);
}

}  // namespace
}  // namespace sgl
