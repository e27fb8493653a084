// Tensor parallelism on the CPU (ranks as threads over the shared-memory communicator):
// every fixture architecture gives the logits of tp=1 (and so of transformers) with 2 and,
// where the shapes divide, 4 ranks, through the whole engine (scheduler, chunked prefill,
// KV cache split over ranks); greedy decoding on the real models matches tp=1 token for
// token; shapes that cannot be split are refused with errors that say why.
#include "model/tensor_parallel_model.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sgl/engine.h"
#include "backend/cuda/near_tie.h"  // FindDivergence: plain C++ over the Engine
#include "testing/test_paths.h"
#include "tokenizer/tokenizer.h"

namespace sgl {
namespace {

struct TpCase {
  std::string model;  // relative to the source tree
  int tp_size;
};

void PrintTo(const TpCase& c, std::ostream* os) { *os << c.model << " tp=" << c.tp_size; }

Result<std::unique_ptr<Engine>> MakeEngine(const std::string& model, int tp_size, int64_t chunk = 7) {
  EngineOptions o;
  o.device = "cpu";
  o.model_path = testing::SourcePath(model);
  o.num_threads = 2 * tp_size;
  o.tp_size = tp_size;
  o.max_total_tokens = 512;
  o.chunked_prefill_size = chunk;
  return Engine::Create(o);
}

std::vector<std::vector<int32_t>> FixturePrompts(const std::string& model) {
  const std::string folder = std::filesystem::path(model).parent_path().string();
  const std::string fixture = folder.ends_with("/hf") ? std::filesystem::path(folder).parent_path().string() : folder;
  const auto ref = nlohmann::json::parse(testing::ReadFileOrEmpty(testing::SourcePath(fixture + "/reference.json")));
  return ref.at("prompts").get<std::vector<std::vector<int32_t>>>();
}

class TensorParallelFixtureTest : public ::testing::TestWithParam<TpCase> {};

TEST_P(TensorParallelFixtureTest, LogitsEqualTpOneWithinTolerance) {
  auto single = MakeEngine(GetParam().model, 1);
  auto split = MakeEngine(GetParam().model, GetParam().tp_size);
  ASSERT_TRUE(single.ok()) << single.status().message();
  ASSERT_TRUE(split.ok()) << split.status().message();
  EXPECT_NE((*split)->Info().backend.find(std::to_string(GetParam().tp_size) + " x "), std::string::npos)
      << (*split)->Info().backend;
  const size_t vocab = static_cast<size_t>((*single)->Info().vocab_size);
  for (const auto& prompt : FixturePrompts(GetParam().model)) {
    auto want = (*single)->PromptLogits(prompt);
    auto got = (*split)->PromptLogits(prompt);
    ASSERT_TRUE(want.ok() && got.ok());
    ASSERT_EQ(got->size(), want->size());
    for (size_t pos = 0; pos < prompt.size(); ++pos) {
      double scale = 1, worst = 0;
      for (size_t v = 0; v < vocab; ++v) {
        scale = std::max(scale, std::abs(double((*want)[pos * vocab + v])));
        worst = std::max(worst, std::abs(double((*got)[pos * vocab + v]) - (*want)[pos * vocab + v]));
      }
      // Only the order of float additions differs (partial sums added across ranks).
      ASSERT_LE(worst, 1e-4 * scale) << "position " << pos;
    }
  }
}

TEST_P(TensorParallelFixtureTest, GreedyOutputEqualsTpOne) {
  auto single = MakeEngine(GetParam().model, 1);
  auto split = MakeEngine(GetParam().model, GetParam().tp_size);
  ASSERT_TRUE(single.ok() && split.ok());
  SamplingParams params;
  params.temperature = 0;
  params.ignore_eos = true;
  params.max_new_tokens = 16;
  for (const auto& prompt : FixturePrompts(GetParam().model)) {
    auto want = (*single)->Generate(prompt, params, {});
    auto got = (*split)->Generate(prompt, params, {});
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(got->output_ids, want->output_ids);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, TensorParallelFixtureTest,
    ::testing::Values(TpCase{"tests/fixtures/models/llama/model.gguf", 2}, TpCase{"tests/fixtures/models/llama/model.gguf", 4},
                      TpCase{"tests/fixtures/models/llama/model-f16.gguf", 2},
                      TpCase{"tests/fixtures/models/llama/model-q4_1.gguf", 2},
                      TpCase{"tests/fixtures/models/llama/hf", 2}, TpCase{"tests/fixtures/models/qwen2/model.gguf", 2},
                      TpCase{"tests/fixtures/models/qwen2/model.gguf", 4}, TpCase{"tests/fixtures/models/qwen3/model.gguf", 2},
                      TpCase{"tests/fixtures/models/qwen3/model.gguf", 4}, TpCase{"tests/fixtures/models/gemma3/model.gguf", 2},
                      TpCase{"tests/fixtures/models/gemma3/model.gguf", 4}, TpCase{"tests/fixtures/models/mistral/model.gguf", 2},
                      TpCase{"tests/fixtures/models/mistral/model.gguf", 4}, TpCase{"tests/fixtures/models/smollm2/model.gguf", 2}),
    [](const auto& info) {
      std::string name = info.param.model.substr(std::string("tests/fixtures/models/").size()) + "_tp" +
                         std::to_string(info.param.tp_size);
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

TEST(TensorParallelChecks, RefusesWhatCannotBeSplitWithTheReason) {
  auto expect_error = [](const std::string& model, int tp, const std::string& words) {
    auto engine = MakeEngine(model, tp);
    ASSERT_FALSE(engine.ok()) << model << " tp=" << tp;
    EXPECT_NE(engine.status().message().find(words), std::string::npos) << engine.status().message();
  };
  expect_error("tests/fixtures/models/smollm2/model.gguf", 4, "attention heads");  // 6 heads
  // Q4_1 blocks are 32 columns; 4 ranks would cut o_proj's 64 columns into 16.
  expect_error("tests/fixtures/models/llama/model-q4_1.gguf", 4, "whole blocks");
  EngineOptions o;
  o.model_path = testing::SourcePath("tests/fixtures/models/llama/model.gguf");
  o.device = "cpu";
  o.tp_size = 0;
  EXPECT_FALSE(Engine::Create(o).ok());
  o.device = "tpu";
  o.tp_size = 2;
  EXPECT_FALSE(Engine::Create(o).ok());
}

// A batch no rank can run (a KV slot past the cache) fails on every rank at once; the
// engine reports it instead of hanging, and the next request still runs.
TEST(TensorParallelChecks, AFailedStepDoesNotHang) {
  auto files = ModelFiles::Open(testing::SourcePath("tests/fixtures/models/llama/model.gguf"));
  ASSERT_TRUE(files.ok());
  auto factory = MakeRankFactory("cpu", 2, 2);
  ASSERT_TRUE(factory.ok()) << factory.status().message();
  auto model = TensorParallelModel::Load(testing::SourcePath("tests/fixtures/models/llama/model.gguf"), 2, *factory);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_TRUE((*model)->CreateKvCache(16).ok());
  ForwardBatch bad;
  bad.AddSequence({1, 2, 3}, {0, 1, 99}, true);
  std::vector<float> logits;
  EXPECT_FALSE((*model)->Forward(bad, &logits).ok());
  ForwardBatch good;
  good.AddSequence({1, 2, 3}, {0, 1, 2}, true);
  ASSERT_TRUE((*model)->Forward(good, &logits).ok());
  EXPECT_EQ(logits.size(), static_cast<size_t>((*model)->config().vocab_size));
}

// The default model (SmolLM2-135M: 9 heads, 3 KV heads) splits over 3 ranks and must
// decode exactly as tp=1. Gemma 3 270M (4 heads, 1 KV head, Q4_K blocks of 256) over 2
// ranks may part from tp=1 only where tp=1's own top two logits are a near-tie (the
// partial sums round differently, and 8-bit activation quantization can amplify an ulp).
TEST(TensorParallelRealModels, GreedyOutputEqualsTpOne) {
  struct Real {
    std::string gguf;
    int tp_size;
    double near_tie;  // largest accepted logit gap at a divergence, of the row's max |logit|
  };
  for (const Real& real : {Real{"SmolLM2-135M-Instruct.Q4_1.gguf", 3, 0.0}, Real{"gemma-3-270m-q4_k_m.gguf", 2, 1e-2}}) {
    const std::string model = "models/" + real.gguf;
    ASSERT_TRUE(std::filesystem::exists(testing::SourcePath(model))) << model << " is missing: run scripts/fetch_models.sh";
    auto single = MakeEngine(model, 1, 512);
    auto split = MakeEngine(model, real.tp_size, 512);
    ASSERT_TRUE(single.ok()) << single.status().message();
    ASSERT_TRUE(split.ok()) << split.status().message();
    GenerateRequest request;
    request.text = "The capital of France is";
    request.sampling.temperature = 0;
    request.sampling.ignore_eos = true;
    request.sampling.max_new_tokens = 24;
    auto want = (*single)->Generate(request, {});
    auto got = (*split)->Generate(request, {});
    ASSERT_TRUE(want.ok() && got.ok());
    const std::vector<int32_t> prompt = (*single)->tokenizer().Encode(request.text, true);
    const auto d = testing::FindDivergence(**single, prompt, want->output_ids, got->output_ids);
    if (d) {
      EXPECT_LE(d->gap, real.near_tie * d->scale) << real.gguf << ": tp=" << real.tp_size << " parted from tp=1 at token "
                                                  << d->at << " by a logit gap of " << d->gap << " (tp=1: '"
                                                  << want->text << "', tp=" << real.tp_size << ": '" << got->text << "')";
    }
  }
}

}  // namespace
}  // namespace sgl
