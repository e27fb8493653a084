// GLM-4.1V on the CUDA backend against transformers for the tiny fixture: the vision
// tower's image features, then the language model's logits at every prompt position with
// those features at the image's placeholders and 3-D M-RoPE positions, within BF16
// tolerance (the CPU backend matches the same reference to 2e-4).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "cuda_test_util.h"
#include "model/model.h"
#include "multimodal/glm4v_fixture.h"
#include "multimodal/glm4v_vision_tower.h"
#include "multimodal/image_preprocessor.h"
#include "multimodal/mrope_positions.h"
#include "multimodal/vision_fixtures.h"

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
    mm::ImagePreprocessConfig pre = mm::ImagePreprocessConfig::Glm4v();
    pre.min_pixels = rc["min_pixels"];
    pre.max_pixels = rc["max_pixels"];
    auto patches = mm::ImagePreprocessor(pre).Preprocess(mm::test::LoadFixtureImage(rc["image"]), "img");
    ASSERT_TRUE(patches.ok()) << patches.status().message();
    auto features = (*tower)->Encode(*patches);
    ASSERT_TRUE(features.ok()) << features.status().message();
    std::vector<float> want_features;
    for (const auto& row : rc["vision_features"])
      for (const auto& v : row) want_features.push_back(v.get<float>());
    EXPECT_LT(ScaledMaxError(*features, want_features), 3e-2);

    const std::vector<int32_t> ids = rc["input_ids"].get<std::vector<int32_t>>();
    const mm::VisionGrid grids[] = {mm::test::GridOf(rc)};
    auto positions = mm::ComputeMropePositions(ids, *c.image_token_id, grids, 2);
    ASSERT_TRUE(positions.ok()) << positions.status().message();
    ForwardBatch batch;
    std::vector<int32_t> slots(ids.size());
    std::iota(slots.begin(), slots.end(), 0);
    batch.AddSequence(ids, slots, false);
    batch.logit_rows.resize(ids.size());
    std::iota(batch.logit_rows.begin(), batch.logit_rows.end(), 0);
    batch.axis_positions.assign(positions->axes.begin(), positions->axes.end());
    const auto first_image = std::find(ids.begin(), ids.end(), *c.image_token_id) - ids.begin();
    batch.input_embeds.push_back({static_cast<int32_t>(first_image), grids[0].num_merged_tokens(2), 0,
                                  std::make_shared<const std::vector<float>>(std::move(*features))});
    std::vector<float> logits;
    const Status s = (*model)->Forward(batch, &logits);
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
