// GLM-4.1V on the CUDA backend against transformers for the tiny fixture: the vision
// tower's image features, then the language model's logits at every prompt position with
// those features at the image's placeholders and 3-D M-RoPE positions, within BF16
// tolerance (the CPU backend matches the same reference to 2e-4).
#include <algorithm>
#include <cmath>

#include "cuda_test_util.h"
#include "model/model.h"
#include "multimodal/glm4v_fixture.h"
#include "multimodal/glm4v_vision_tower.h"

namespace sgl {
namespace {

namespace mm = multimodal;

// max |got - want| over max |want|.
double ScaledMaxError(const std::vector<float>& got, const std::vector<float>& want) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    err = std::max(err, std::abs(double(got[i]) - want[i]));
    scale = std::max(scale, std::abs(double(want[i])));
  }
  return got.size() == want.size() && std::isfinite(err) ? err / std::max(scale, 1e-30) : INFINITY;
}

class CudaVisionTest : public testing::CudaTest {};

TEST_F(CudaVisionTest, Glm4vFeaturesAndLogitsWithImagesMatchTransformers) {
  const std::string dir = sgl::testing::SourcePath("tests/fixtures/models/glm4v/hf");
  auto model = LoadModel(dir, *gpu_);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const ModelConfig& c = (*model)->config();
  ASSERT_TRUE((*model)->CreateKvCache(256).ok());
  auto tower = mm::Glm4vVisionTower::Load(dir, *gpu_);
  ASSERT_TRUE(tower.ok()) << tower.status().message();
  const nlohmann::json reference = mm::test::Glm4vReference();
  ASSERT_GE(reference["cases"].size(), 2u);
  for (const auto& rc : reference["cases"]) {
    SCOPED_TRACE(rc["image"].get<std::string>());
    auto patches = mm::test::PreprocessCase(rc);
    ASSERT_TRUE(patches.ok()) << patches.status().message();
    auto features = (*tower)->Encode(*patches);
    ASSERT_TRUE(features.ok()) << features.status().message();
    std::vector<float> want_features;
    for (const auto& row : rc["vision_features"])
      for (const auto& v : row) want_features.push_back(v.get<float>());
    EXPECT_LT(ScaledMaxError(*features, want_features), 3e-2);

    auto batch = mm::test::ImagePrefillBatch(rc, *c.image_token_id, std::move(*features));
    ASSERT_TRUE(batch.ok()) << batch.status().message();
    const std::vector<int32_t> ids = rc["input_ids"].get<std::vector<int32_t>>();
    std::vector<float> logits;
    const Status s = (*model)->Forward(*batch, &logits);
    ASSERT_TRUE(s.ok()) << s.message();
    for (size_t t = 0; t < ids.size(); ++t) {
      std::vector<float> got(logits.begin() + t * c.vocab_size, logits.begin() + (t + 1) * c.vocab_size);
      std::vector<float> want = rc["logits"][t].get<std::vector<float>>();
      EXPECT_LT(ScaledMaxError(got, want), 5e-2) << "position " << t;
    }
  }
}

}  // namespace
}  // namespace sgl
