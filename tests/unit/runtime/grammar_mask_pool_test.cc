// GrammarMaskPool on SmolLM2's vocabulary: masks filled on the pool's threads are
// identical to those filled on the calling thread, for many matchers at different
// states (JSON Schema, regex, EBNF; some able to end, one with a request stop token),
// over several batches in a row (and a batch of one, which runs inline), and an empty
// batch returns.
#include "runtime/grammar_mask_pool.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "constrain/constrain_testing.h"
#include "constrain/grammar_compiler.h"
#include "runtime/grammar_step.h"

namespace sgl {
namespace {

using constrain::GrammarKind;
using constrain::GrammarMatcher;

std::unique_ptr<GrammarMatcher> Matcher(GrammarKind kind, const std::string& text) {
  auto vocab = constrain::testing::SmolLm2Vocab();
  EXPECT_TRUE(vocab);
  auto g = constrain::BuildGrammar({kind, text, {}});
  EXPECT_TRUE(g.ok()) << g.status().message();
  auto c = constrain::CompiledGrammar::Compile(*g, vocab);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return std::make_unique<GrammarMatcher>(*c);
}

// One random allowed token (never a stop token), as a sampler would pick under the mask.
void AdvanceRandomly(GrammarMatcher& m, std::mt19937& rng) {
  std::vector<uint32_t> mask;
  if (!FillGrammarBitmask(m, {}, mask)) return;
  std::vector<int32_t> ids;
  for (int32_t id = 0; id < m.grammar().vocab().vocab_size(); ++id)
    if ((mask[id >> 5] >> (id & 31)) & 1 && !m.grammar().vocab().is_stop(id)) ids.push_back(id);
  if (ids.empty()) return;
  EXPECT_TRUE(m.AcceptToken(ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)]));
}

TEST(GrammarMaskPoolTest, MasksEqualThoseFilledInline) {
  const std::vector<std::pair<GrammarKind, std::string>> grammars = {
      {GrammarKind::kJsonSchema, R"({"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["a","b"]})"},
      {GrammarKind::kRegex, R"([a-z]{2,8}@example\.(com|org))"},
      {GrammarKind::kEbnf, "root ::= \"The answer is \" number \".\"\nnumber ::= [1-9] [0-9]*"},
      {GrammarKind::kRegex, "(yes|no)"},
  };
  const std::vector<int32_t> request_stops = {42};
  std::vector<std::unique_ptr<GrammarMatcher>> matchers;
  for (int copy = 0; copy < 3; ++copy)
    for (const auto& [kind, text] : grammars) matchers.push_back(Matcher(kind, text));
  GrammarMaskPool pool(2);
  std::mt19937 rng(7);
  for (int batch = 0; batch < 6; ++batch) {
    std::vector<std::vector<uint32_t>> pooled(matchers.size()), inline_masks(matchers.size());
    auto pooled_any = std::make_unique<bool[]>(matchers.size());
    std::vector<GrammarMaskJob> jobs;
    for (size_t i = 0; i < matchers.size(); ++i) {
      const std::span<const int32_t> stops = i % 2 ? std::span<const int32_t>(request_stops) : std::span<const int32_t>();
      jobs.push_back({matchers[i].get(), stops, &pooled[i], &pooled_any[i]});
    }
    // Every batch once whole, and the last as a batch of one.
    pool.Run(batch == 5 ? std::span<const GrammarMaskJob>(jobs).last(1) : std::span<const GrammarMaskJob>(jobs));
    for (size_t i = batch == 5 ? matchers.size() - 1 : 0; i < matchers.size(); ++i) {
      const bool inline_any = FillGrammarBitmask(*matchers[i], jobs[i].extra_stop_ids, inline_masks[i]);
      EXPECT_EQ(pooled[i], inline_masks[i]) << "matcher " << i << ", batch " << batch;
      EXPECT_EQ(pooled_any[i], inline_any) << "matcher " << i << ", batch " << batch;
      EXPECT_EQ(pooled[i].size(), static_cast<size_t>(matchers[i]->grammar().bitmask_words()));
    }
    for (auto& m : matchers)
      for (int k = 0; k <= static_cast<int>(rng() % 3); ++k) AdvanceRandomly(*m, rng);
  }
}

TEST(GrammarMaskPoolTest, EmptyBatchReturns) {
  GrammarMaskPool pool(1);
  pool.Run({});
}

}  // namespace
}  // namespace sgl
