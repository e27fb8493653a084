#include "constrain/grammar_compiler.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "constrain_testing.h"

namespace sgl::constrain {
namespace {

TEST(GrammarCompilerTest, CachesByKindOptionsAndText) {
  GrammarCompiler compiler(testing::SmolLm2Vocab(), 2);
  GrammarSpec a{GrammarKind::kRegex, "[0-9]+", {}};
  auto first = compiler.Compile(a);
  auto again = compiler.Compile(a);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->get(), again->get());
  GrammarSpec as_ebnf{GrammarKind::kEbnf, "root ::= [0-9]+", {}};
  auto other = compiler.Compile(as_ebnf);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->get(), first->get());
  EXPECT_EQ(compiler.num_cached(), 2u);
  ASSERT_TRUE(compiler.Compile({GrammarKind::kJsonObject, "", {}}).ok());
  EXPECT_EQ(compiler.num_cached(), 2u);  // the oldest went
  auto recompiled = compiler.Compile(a);
  ASSERT_TRUE(recompiled.ok());
  EXPECT_NE(recompiled->get(), first->get());
}

TEST(GrammarCompilerTest, ErrorsAreValuesAndCached) {
  GrammarCompiler compiler(testing::SmolLm2Vocab());
  auto bad = compiler.Compile({GrammarKind::kRegex, "(a", {}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("missing ')'"), std::string::npos);
  EXPECT_FALSE(compiler.Compile({GrammarKind::kRegex, "(a", {}}).ok());
  EXPECT_FALSE(compiler.Compile({GrammarKind::kEbnf, "root ::= nope", {}}).ok());
  EXPECT_FALSE(compiler.Compile({GrammarKind::kJsonSchema, "{\"type\":1}", {}}).ok());
}

TEST(GrammarCompilerTest, ConcurrentCompilesShareOneResult) {
  GrammarCompiler compiler(testing::SmolLm2Vocab());
  GrammarSpec spec{GrammarKind::kJsonSchema, R"({"type":"object","properties":{"a":{"type":"string"}}})", {}};
  std::vector<const CompiledGrammar*> got(6, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto r = compiler.Compile(spec);
      if (r.ok()) got[i] = r->get();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 6; ++i) {
    EXPECT_NE(got[i], nullptr);
    EXPECT_EQ(got[i], got[0]);
  }
}

}  // namespace
}  // namespace sgl::constrain
