// In-batch prefix sharing: n copies of one uncached prompt submitted together (n > 1
// samples) are prefilled once; the others wait one step and take it from the cache.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "runtime/scheduler.h"
#include "testing/greedy_request.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

int64_t ComputedPromptTokens(bool radix, int copies, const std::vector<int32_t>& prompt,
                             std::vector<std::shared_ptr<Request>>& out) {
  CpuBackend backend(2);
  auto model = LoadModel(testing::SourcePath("tests/fixtures/models/llama/model.gguf"), backend);
  EXPECT_TRUE(model.ok());
  SchedulerOptions options;
  options.max_total_tokens = 2048;
  options.disable_radix_cache = !radix;
  auto scheduler = Scheduler::Create(**model, options);
  EXPECT_TRUE(scheduler.ok());
  for (int i = 0; i < copies; ++i) {
    out.push_back(testing::GreedyRequest(i, prompt, 8));
    (*scheduler)->Submit(out.back());
  }
  while ((*scheduler)->Step()) EXPECT_TRUE((*scheduler)->CheckInvariants().ok());
  return (*scheduler)->stats().computed_prompt_tokens.load();
}

TEST(SchedulerPrefixSharingTest, IdenticalPromptsSubmittedTogetherArePrefilledOnce) {
  std::vector<int32_t> prompt;
  for (int i = 0; i < 100; ++i) prompt.push_back(3 + (i * 37) % 200);
  const int64_t len = static_cast<int64_t>(prompt.size());
  std::vector<std::shared_ptr<Request>> shared, alone;
  // Once in full, then one token each (the last prompt token, recomputed for its logits).
  EXPECT_EQ(ComputedPromptTokens(true, 8, prompt, shared), len + 7);
  EXPECT_EQ(ComputedPromptTokens(true, 1, prompt, alone), len);
  for (const auto& r : shared) EXPECT_EQ(r->output_ids, alone[0]->output_ids) << r->id;
  for (size_t i = 1; i < shared.size(); ++i) EXPECT_EQ(shared[i]->cached_tokens, len - 1) << i;
  std::vector<std::shared_ptr<Request>> no_cache;
  EXPECT_EQ(ComputedPromptTokens(false, 8, prompt, no_cache), 8 * len);  // nothing to share without the cache
}

TEST(SchedulerPrefixSharingTest, ShortSharedPrefixesDoNotWait) {
  // Prompts sharing fewer than kInBatchPrefixMinTokens tokens all run in the first step.
  std::vector<std::shared_ptr<Request>> reqs;
  CpuBackend backend(2);
  auto model = LoadModel(testing::SourcePath("tests/fixtures/models/llama/model.gguf"), backend);
  ASSERT_TRUE(model.ok());
  auto scheduler = Scheduler::Create(**model, SchedulerOptions{});
  ASSERT_TRUE(scheduler.ok());
  for (int i = 0; i < 4; ++i) {
    std::vector<int32_t> prompt = {5, 6, 7, 8, 9, 10 + i, 11, 12};
    reqs.push_back(testing::GreedyRequest(i, prompt, 8));
    (*scheduler)->Submit(reqs.back());
  }
  ASSERT_TRUE((*scheduler)->Step());
  EXPECT_EQ((*scheduler)->num_running(), 4);
  EXPECT_EQ((*scheduler)->num_waiting(), 0);
}

}  // namespace
}  // namespace sgl
