// GLM-4.1V end to end on the CPU backend against transformers for the tiny fixture: our
// preprocessing + vision tower give the image embeddings, ComputeMropePositions the 3-D
// positions, and the language model's logits at every prompt position must match
// Glm4vForConditionalGeneration's. Also: text-only prompts (no axis positions) equal the
// model's own M-RoPE with all axes at the token position.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <numeric>

#include "backend/cpu/cpu_backend.h"
#include "model/model.h"
#include "multimodal/glm4v_fixture.h"
#include "multimodal/glm4v_vision_tower.h"

namespace sgl {
namespace {

namespace mm = multimodal;

const std::string kFixtureDir = sgl::testing::SourcePath("tests/fixtures/models/glm4v/hf");

// One prefill of `ids` at slots [0, n) asking for logits at every position.
ForwardBatch PrefillBatch(const std::vector<int32_t>& ids) {
  ForwardBatch batch;
  std::vector<int32_t> slots(ids.size());
  std::iota(slots.begin(), slots.end(), 0);
  batch.AddSequence(ids, slots, false);
  batch.logit_rows.resize(ids.size());
  std::iota(batch.logit_rows.begin(), batch.logit_rows.end(), 0);
  return batch;
}

// The fixture model with a KV cache of `num_slots`; fails the test (nullptr) if it cannot.
std::unique_ptr<Model> LoadFixtureModel(CpuBackend& backend, int64_t num_slots) {
  auto model = LoadModel(kFixtureDir, backend);
  EXPECT_TRUE(model.ok()) << model.status().message();
  if (!model.ok()) return nullptr;
  const ModelConfig& c = (*model)->config();
  EXPECT_TRUE(backend.CreateKvCache({c.num_layers, num_slots, c.num_kv_heads, c.head_dim}).ok());
  return std::move(model).value();
}

TEST(Glm4vModelTest, ConfigAndNamesComeFromTheNestedTextConfig) {
  CpuBackend backend(1);
  auto model = LoadModel(kFixtureDir, backend);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const ModelConfig& c = (*model)->config();
  EXPECT_EQ(c.arch, Architecture::kGlm4v);
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.rope.rotary_dim, 8);
  EXPECT_EQ(c.rope.mrope_section, (std::vector<int>{2, 1, 1}));
  EXPECT_FALSE(c.rope.neox);
  EXPECT_TRUE(c.attention_bias);
  EXPECT_EQ(c.image_token_id, 500);
}

TEST(Glm4vModelTest, LogitsWithImagesMatchTransformers) {
  CpuBackend backend(2);
  std::unique_ptr<Model> model = LoadFixtureModel(backend, 256);
  ASSERT_NE(model, nullptr);
  const ModelConfig& c = model->config();
  auto tower = mm::Glm4vVisionTower::Load(kFixtureDir, backend);
  ASSERT_TRUE(tower.ok()) << tower.status().message();
  const nlohmann::json reference = mm::test::Glm4vReference();
  for (const auto& rc : reference["cases"]) {
    SCOPED_TRACE(rc["image"].get<std::string>());
    auto patches = mm::test::PreprocessCase(rc);
    ASSERT_TRUE(patches.ok()) << patches.status().message();
    auto features = (*tower)->Encode(*patches);
    ASSERT_TRUE(features.ok()) << features.status().message();
    auto batch = mm::test::ImagePrefillBatch(rc, *c.image_token_id, std::move(*features));
    ASSERT_TRUE(batch.ok()) << batch.status().message();
    const std::vector<int32_t> ids = rc["input_ids"].get<std::vector<int32_t>>();
    std::vector<float> logits;
    ASSERT_TRUE(model->Forward(*batch, &logits).ok());
    ASSERT_EQ(logits.size(), ids.size() * c.vocab_size);
    float max_error = 0;
    for (size_t t = 0; t < ids.size(); ++t) {
      for (int64_t v = 0; v < c.vocab_size; ++v) {
        max_error = std::max(max_error, std::abs(logits[t * c.vocab_size + v] - rc["logits"][t][v].get<float>()));
      }
    }
    EXPECT_LT(max_error, 2e-4f);
  }
}

TEST(Glm4vModelTest, RefusesInputEmbedsOutsideTheBatch) {
  CpuBackend backend(1);
  std::unique_ptr<Model> model = LoadFixtureModel(backend, 16);
  ASSERT_NE(model, nullptr);
  ForwardBatch batch = PrefillBatch({5, 6, 7});
  batch.input_embeds.push_back({2, 4, 0, std::make_shared<const std::vector<float>>(4 * 64, 0.0f)});
  std::vector<float> logits;
  const Status status = model->Forward(batch, &logits);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), ::testing::HasSubstr("do not fit"));
}

TEST(Glm4vModelTest, TextOnlyBatchesUseTheTokenPositionOnEveryAxis) {
  CpuBackend backend(1);
  std::unique_ptr<Model> model = LoadFixtureModel(backend, 16);
  ASSERT_NE(model, nullptr);
  const std::vector<int32_t> ids = {5, 6, 7, 8};
  ForwardBatch implicit = PrefillBatch(ids);
  ForwardBatch explicit_axes = PrefillBatch(ids);
  explicit_axes.axis_positions.assign(3, implicit.positions);
  std::vector<float> a, b;
  ASSERT_TRUE(model->Forward(implicit, &a).ok());
  ASSERT_TRUE(model->Forward(explicit_axes, &b).ok());
  EXPECT_EQ(a, b);
  explicit_axes.axis_positions[1][2] += 3;  // a different h position must change the result
  ASSERT_TRUE(model->Forward(explicit_axes, &b).ok());
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace sgl
