// Constrained decoding through the Engine on the CUDA backend (the llama fixture, whose
// GGUF carries a byte-level BPE vocabulary). The device draws a constrained token under
// the grammar's mask, which the host computes while the GPU runs the step (LateTokenMasks:
// a decode graph ends before sampling, the mask is uploaded, then the sample kernel
// runs). Greedy, that must equal the host's draw under the same mask (a logprob request's
// path); sampled and batched with unconstrained requests, every output must match its
// constraint.
#include <gtest/gtest.h>

#include "backend/cuda/cuda_device.h"
#include "sgl/engine.h"
#include "testing/grammar_cases.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

using testing::Constrained;
using testing::ExpectValid;
using testing::kKinds;

class CudaEngineGrammarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::DeviceVisible()) GTEST_SKIP() << "no CUDA device is visible: CUDA tests need a GPU";
    EngineOptions o;
    o.device = "cuda";
    o.model_path = testing::SourcePath("tests/fixtures/models/llama/model.gguf");
    o.max_total_tokens = 4096;
    o.disable_jump_forward = true;  // as for logprob requests: both paths take every step
    auto engine = Engine::Create(o);
    ASSERT_TRUE(engine.ok()) << engine.status().message();
    engine_ = std::move(engine).value();
  }

  std::unique_ptr<Engine> engine_;
};

TEST_F(CudaEngineGrammarTest, DeviceDrawnTokensEqualTheHostsGreedyUnderTheMask) {
  for (const std::string& kind : kKinds) testing::ExpectBackendDrawEqualsHostGreedy(*engine_, "Describe a person as JSON:", kind);
}

TEST_F(CudaEngineGrammarTest, BatchedSampledOutputsMatchTheirConstraints) {
  std::vector<GenerateRequest> requests;
  for (int i = 0; i < 12; ++i) {
    if (i % 4 == 3) {
      GenerateRequest plain;
      plain.text = "Say something about cats.";
      plain.sampling.max_new_tokens = 40;
      plain.sampling.temperature = 0.8f;
      requests.push_back(plain);
      continue;
    }
    requests.push_back(Constrained("Answer in the format asked:", kKinds[i % 3], i % 2 ? 0.9f : 0.0f, 7 + i));
    if (i == 4) requests.back().logprob.return_logprob = true;  // one row's logits go to the host
  }
  std::vector<GenerateHandle> handles;
  for (const auto& r : requests) handles.push_back(engine_->Submit(r, {}));
  for (size_t i = 0; i < handles.size(); ++i) {
    auto result = handles[i].result.get();
    if (!requests[i].sampling.regex && !requests[i].sampling.json_schema && !requests[i].sampling.ebnf) {
      ASSERT_TRUE(result.ok()) << result.status().message();
      continue;
    }
    ExpectValid(requests[i], result);
  }
}

}  // namespace
}  // namespace sgl
