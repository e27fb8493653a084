// The runtime's equality checks on the CUDA backend: every scheduling configuration the
// CPU scheduler test covers (radix cache on/off, chunked prefill, page sizes, batch sizes,
// a KV cache small enough to force retractions, each policy) gives every request the CPU
// backend's greedy tokens (which equal transformers'), except past a point where the
// CPU's own logits are a near-tie. Requests are submitted together so they batch.
#include <cstdio>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backend/cuda/cuda_device.h"
#include "near_tie.h"
#include "sgl/engine.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

struct Case {
  bool radix;
  int64_t chunk;
  int page;
  int copies;         // requests per reference prompt
  int64_t kv_tokens;  // KV capacity
  const char* policy;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << "radix=" << c.radix << " chunk=" << c.chunk << " page=" << c.page << " copies=" << c.copies
      << " kv=" << c.kv_tokens << " policy=" << c.policy;
}

std::unique_ptr<Engine> MakeEngine(const std::string& device, const Case& c) {
  EngineOptions o;
  o.device = device;
  o.model_path = testing::SourcePath("tests/fixtures/models/llama/model.gguf");
  o.num_threads = 2;
  o.max_total_tokens = c.kv_tokens;
  o.page_size = c.page;
  o.chunked_prefill_size = c.chunk;
  o.max_prefill_tokens = 2 * c.chunk;
  o.disable_radix_cache = !c.radix;
  o.schedule_policy = c.policy;
  auto engine = Engine::Create(o);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return engine.ok() ? std::move(engine).value() : nullptr;
}

class CudaEngineEqualityTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (!cuda::DeviceVisible()) GTEST_SKIP() << "no CUDA device is visible: CUDA tests need a GPU";
  }
};

TEST_P(CudaEngineEqualityTest, GreedyOutputsEqualTheCpuBackendsUpToNearTies) {
  const Case& c = GetParam();
  const auto ref = nlohmann::json::parse(
      testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/models/llama/reference.json")));
  const auto prompts = ref.at("prompts").get<std::vector<std::vector<int32_t>>>();
  auto cpu = MakeEngine("cpu", Case{true, 512, 1, 1, 4096, "fcfs"});
  auto gpu = MakeEngine("cuda", c);
  ASSERT_TRUE(cpu && gpu);
  ASSERT_NE(gpu->Info().backend.find("cuda"), std::string::npos);

  SamplingParams params;
  params.temperature = 0;
  params.ignore_eos = true;
  params.max_new_tokens = 32;
  std::vector<std::vector<int32_t>> want;
  for (const auto& prompt : prompts) {
    auto r = cpu->Generate(prompt, params, {});
    ASSERT_TRUE(r.ok()) << r.status().message();
    want.push_back(r->output_ids);
  }

  std::vector<GenerateHandle> handles;
  for (int copy = 0; copy < c.copies; ++copy)
    for (const auto& prompt : prompts) handles.push_back(gpu->Submit({prompt, "", params, {}}, nullptr));
  int retractions = 0, exact = 0;
  for (size_t i = 0; i < handles.size(); ++i) {
    auto got = handles[i].result.get();
    ASSERT_TRUE(got.ok()) << got.status().message();
    retractions += got->stats.num_retractions;
    const size_t p = i % prompts.size();
    const auto d = testing::FindDivergence(*cpu, prompts[p], want[p], got->output_ids);
    if (!d) {
      ++exact;
      continue;
    }
    EXPECT_TRUE(d->near_tie()) << "request " << i << " (prompt " << p << ") parts from the CPU at token " << d->at
                               << " where the CPU's logits are no near-tie (gap " << d->gap << " of " << d->scale << ")";
  }
  std::printf("%d of %zu requests: 32 greedy tokens identical to the CPU backend; %d retractions\n", exact,
              handles.size(), retractions);
  if (c.kv_tokens < 200) EXPECT_GT(retractions, 0) << "the small KV cache should have forced retractions";
  EXPECT_EQ(gpu->Stats().num_running, 0);
}

INSTANTIATE_TEST_SUITE_P(Configurations, CudaEngineEqualityTest,
                         ::testing::Values(Case{true, 512, 1, 1, 4096, "fcfs"},  // batch of 3, cache on
                                           Case{false, 512, 1, 1, 4096, "fcfs"},  // cache off
                                           Case{true, 64, 1, 11, 4096, "lpm"},    // 33 requests, shared prompts
                                           Case{false, 5, 1, 11, 4096, "fcfs"},   // tiny chunks
                                           Case{true, 7, 4, 4, 4096, "fcfs"},     // pages of 4
                                           Case{true, 64, 1, 4, 120, "fcfs"},     // KV too small: retractions
                                           Case{false, 64, 4, 4, 120, "fcfs"},
                                           Case{true, 64, 1, 6, 4096, "dfs-weight"},
                                           Case{true, 64, 1, 6, 4096, "lof"},
                                           Case{true, 16, 1, 6, 300, "random"}));

}  // namespace
}  // namespace sgl
