// The tiny fixture models (every supported architecture, from the HF folder and the GGUF
// conversions) run end to end on the CUDA backend through the Engine: prompt logits match
// Hugging Face transformers within BF16 tolerance, greedy decoding matches the CPU
// backend token for token except where the CPU's own top two logits are a near-tie, and
// a steady-state decode step allocates no device memory.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "backend/cuda/cuda_device.h"
#include "cuda_test_util.h"
#include "near_tie.h"
#include "model/model.h"
#include "sgl/engine.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

struct Variant {
  std::string arch, file;
};
void PrintTo(const Variant& v, std::ostream* os) { *os << v.arch << "/" << v.file; }

std::string FixturePath(const Variant& v) {
  return testing::SourcePath("tests/fixtures/models/" + v.arch + "/" + v.file);
}

// Logits of bf16 activations: max |ours - ref| within this share of the row's max |ref|.
constexpr double kLogitTolerance = 5e-2;

class CudaFixtureModelTest : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    if (!cuda::DeviceVisible()) GTEST_SKIP() << "no CUDA device is visible: CUDA tests need a GPU";
  }
  std::unique_ptr<Engine> MakeEngine(const std::string& device) {
    EngineOptions options;
    options.device = device;
    options.model_path = FixturePath(GetParam());
    options.num_threads = 2;
    options.max_total_tokens = 256;
    options.chunked_prefill_size = 7;  // chunked prefill over cached prefixes on every longer prompt
    auto engine = Engine::Create(options);
    EXPECT_TRUE(engine.ok()) << engine.status().message();
    return engine.ok() ? std::move(engine).value() : nullptr;
  }
};

TEST_P(CudaFixtureModelTest, PromptLogitsMatchTransformers) {
  auto j = nlohmann::json::parse(testing::ReadFileOrEmpty(
      testing::SourcePath("tests/fixtures/models/" + GetParam().arch + "/reference.json")));
  const auto prompts = j.at("prompts").get<std::vector<std::vector<int32_t>>>();
  const auto ref = j.at("logits").get<std::vector<std::vector<std::vector<float>>>>();
  auto engine = MakeEngine("cuda");
  ASSERT_NE(engine, nullptr);
  EXPECT_NE(engine->Info().backend.find("cuda"), std::string::npos);
  for (size_t p = 0; p < prompts.size(); ++p) {
    auto logits = engine->PromptLogits(prompts[p]);
    ASSERT_TRUE(logits.ok()) << logits.status().message();
    const size_t vocab = ref[p][0].size();
    ASSERT_EQ(logits->size(), prompts[p].size() * vocab);
    for (size_t pos = 0; pos < prompts[p].size(); ++pos) {
      double scale = 0, worst = 0;
      for (size_t v = 0; v < vocab; ++v) {
        scale = std::max(scale, std::abs(double(ref[p][pos][v])));
        worst = std::max(worst, std::abs(double((*logits)[pos * vocab + v]) - ref[p][pos][v]));
      }
      ASSERT_LE(worst, kLogitTolerance * std::max(1.0, scale)) << "prompt " << p << " position " << pos;
    }
  }
}

TEST_P(CudaFixtureModelTest, GreedyMatchesTheCpuBackendUpToNearTies) {
  auto j = nlohmann::json::parse(testing::ReadFileOrEmpty(
      testing::SourcePath("tests/fixtures/models/" + GetParam().arch + "/reference.json")));
  const auto prompts = j.at("prompts").get<std::vector<std::vector<int32_t>>>();
  auto cpu = MakeEngine("cpu");
  auto gpu = MakeEngine("cuda");
  ASSERT_TRUE(cpu && gpu);
  SamplingParams params;
  params.temperature = 0;
  params.ignore_eos = true;
  params.max_new_tokens = 64;
  for (const auto& prompt : prompts) {
    auto want = cpu->Generate(prompt, params, {});
    auto got = gpu->Generate(prompt, params, {});
    ASSERT_TRUE(want.ok() && got.ok());
    const auto d = testing::FindDivergence(*cpu, prompt, want->output_ids, got->output_ids);
    if (d) {
      EXPECT_TRUE(d->near_tie()) << "token " << d->at << ": cuda and cpu part, gap " << d->gap << " of " << d->scale;
    }
  }
}

// Decode steps of a batch of two, first with CUDA graphs off, then on: after warm-up no
// step allocates, graphs are captured and replayed, and they give the very same logits.
TEST_P(CudaFixtureModelTest, SteadyStateDecodeAllocatesNothingAndGraphsReplayExactly) {
  std::vector<std::vector<float>> eager_logits;
  for (int graph_max_batch : {0, 64}) {
    SCOPED_TRACE(graph_max_batch == 0 ? "eager" : "graphs");
    auto backend = CudaBackend::Create(0);
    ASSERT_TRUE(backend.ok());
    (*backend)->set_graph_max_batch(graph_max_batch);
    auto model = LoadModel(FixturePath(GetParam()), **backend);
    ASSERT_TRUE(model.ok()) << model.status().message();
    const ModelConfig& c = (*model)->config();
    ASSERT_TRUE((*backend)->CreateKvCache({c.num_layers, 512, c.num_kv_heads, c.head_dim}).ok());
    std::vector<int32_t> slots_a, slots_b;
    std::vector<float> logits;
    int64_t allocations_after_warmup = -1;
    for (int step = 0; step < 40; ++step) {
      slots_a.push_back(2 * step);
      slots_b.push_back(2 * step + 1);
      ForwardBatch batch;
      batch.AddSequence({static_cast<int32_t>(step % 7)}, slots_a, true);
      batch.AddSequence({static_cast<int32_t>(step % 5)}, slots_b, true);
      ASSERT_TRUE((*model)->Forward(batch, &logits).ok());
      if (step == 2) allocations_after_warmup = (*backend)->num_allocations();
      if (graph_max_batch == 0) {
        eager_logits.push_back(logits);
      } else {
        ASSERT_EQ(logits, eager_logits[step]) << "step " << step;
      }
    }
    EXPECT_EQ((*backend)->num_allocations(), allocations_after_warmup);
    if (graph_max_batch > 0) {
      EXPECT_GE((*backend)->num_graph_replays(), 35);
    }
  }
}

// Larger models named by SGL_CUDA_EXTRA_MODELS (colon-separated paths; tools/gpu-check.sh
// makes a random-weight model of the default model's shapes): 64 greedy tokens on CUDA
// equal the CPU's, up to near-ties, from a few prompts.
class CudaExtraModelTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!cuda::DeviceVisible()) GTEST_SKIP() << "no CUDA device is visible: CUDA tests need a GPU";
  }
};

TEST_P(CudaExtraModelTest, GreedyMatchesTheCpuBackendUpToNearTies) {
  std::unique_ptr<Engine> engines[2];
  for (int i = 0; i < 2; ++i) {
    EngineOptions options;
    options.device = i == 0 ? "cpu" : "cuda";
    options.model_path = GetParam();
    options.max_total_tokens = 1024;
    auto engine = Engine::Create(options);
    ASSERT_TRUE(engine.ok()) << engine.status().message();
    engines[i] = std::move(engine).value();
  }
  const int64_t vocab = engines[0]->Info().vocab_size;
  SamplingParams params;
  params.temperature = 0;
  params.ignore_eos = true;
  params.max_new_tokens = 64;
  int exact = 0;
  for (int p = 0; p < 4; ++p) {
    std::vector<int32_t> prompt;
    for (int i = 0; i < 9 + 40 * p; ++i) prompt.push_back(static_cast<int32_t>((1 + 7919 * (i + 1) * (p + 1)) % vocab));
    auto want = engines[0]->Generate(prompt, params, {});
    auto got = engines[1]->Generate(prompt, params, {});
    ASSERT_TRUE(want.ok() && got.ok());
    ASSERT_EQ(got->output_ids.size(), 64u);
    const auto d = testing::FindDivergence(*engines[0], prompt, want->output_ids, got->output_ids);
    if (!d) {
      ++exact;
      continue;
    }
    EXPECT_TRUE(d->near_tie()) << "prompt " << p << " token " << d->at;
    std::printf("prompt %d: CUDA and CPU part at token %zu of 64 (gap %.4f of %.2f)\n", p, d->at, d->gap, d->scale);
  }
  std::printf("%d of 4 prompts: 64 greedy tokens identical on CUDA and CPU\n", exact);
}

std::vector<std::string> ExtraModels() {
  std::vector<std::string> paths;
  const char* env = std::getenv("SGL_CUDA_EXTRA_MODELS");
  std::string list = env ? env : "";
  for (size_t begin = 0; begin < list.size();) {
    const size_t end = std::min(list.find(':', begin), list.size());
    if (end > begin) paths.push_back(list.substr(begin, end - begin));
    begin = end + 1;
  }
  return paths;
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CudaExtraModelTest);
INSTANTIATE_TEST_SUITE_P(FromEnvironment, CudaExtraModelTest, ::testing::ValuesIn(ExtraModels()));

std::vector<Variant> AllVariants() {
  std::vector<Variant> variants;
  const std::string root = testing::SourcePath("tests/fixtures/models");
  for (const char* arch : {"llama", "smollm2", "mistral", "qwen2", "qwen3", "gemma3"}) {
    variants.push_back({arch, "hf"});
    variants.push_back({arch, "model.gguf"});
    if (std::filesystem::exists(root + "/" + arch + "/model-f16.gguf")) variants.push_back({arch, "model-f16.gguf"});
  }
  return variants;
}

std::string VariantName(const ::testing::TestParamInfo<Variant>& info) {
  std::string name = info.param.arch + "_" + info.param.file;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, CudaFixtureModelTest, ::testing::ValuesIn(AllVariants()), VariantName);

}  // namespace
}  // namespace sgl
