// Qwen2.5-VL end to end on the CPU backend against transformers for the tiny fixture: our
// preprocessing + Qwen25VlVisionTower give the image embeddings, ComputeMropePositions the
// 3-D positions, and the language model's logits at every prompt position (one and two
// images per prompt) must match Qwen2_5_VLForConditionalGeneration's; greedy decoding,
// with decode positions continuing at rope_delta, must pick transformers' tokens. Also the
// config forms (transformers 5's text_config, the published flat config.json).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <numeric>

#include "backend/cpu/cpu_backend.h"
#include "model/model.h"
#include "multimodal/mrope_positions.h"
#include "multimodal/qwen25vl_fixture.h"
#include "multimodal/qwen25vl_vision_tower.h"

namespace sgl {
namespace {

namespace mm = multimodal;

// The fixture model with a KV cache of `num_slots`; fails the test (nullptr) if it cannot.
std::unique_ptr<Model> LoadFixtureModel(CpuBackend& backend, int64_t num_slots) {
  auto model = LoadModel(mm::test::kQwen25VlDir, backend);
  EXPECT_TRUE(model.ok()) << model.status().message();
  if (!model.ok()) return nullptr;
  EXPECT_TRUE((*model)->CreateKvCache(num_slots).ok());
  return std::move(model).value();
}

// Slots [0, n) for a sequence of n tokens.
std::vector<int32_t> Slots(size_t n) {
  std::vector<int32_t> slots(n);
  std::iota(slots.begin(), slots.end(), 0);
  return slots;
}

// A case's prompt as one prefill: image rows from the tower, M-RoPE positions, logits at
// every position. Fails the test (and returns an empty batch) when a step fails.
struct Prompt {
  ForwardBatch batch;
  int32_t rope_delta = 0;
};

Prompt PreparePrompt(mm::Qwen25VlVisionTower& tower, int32_t image_token, const nlohmann::json& rc) {
  const std::vector<int32_t> ids = rc["input_ids"].get<std::vector<int32_t>>();
  std::vector<mm::VisionGrid> grids;
  Prompt prompt;
  ForwardBatch& batch = prompt.batch;
  batch.AddSequence(ids, Slots(ids.size()), false);
  batch.logit_rows = Slots(ids.size());
  auto next_run = ids.begin();
  for (size_t i = 0; i < rc["images"].size(); ++i) {
    auto features = tower.Encode(mm::test::Qwen25VlPatches(rc["images"][i]));
    EXPECT_TRUE(features.ok()) << features.status().message();
    if (!features.ok()) return {};
    grids.push_back(mm::test::Qwen25VlGrid(rc, i));
    next_run = std::find(next_run, ids.end(), image_token);
    const int32_t num_tokens = grids.back().num_merged_tokens(2);
    batch.input_embeds.push_back({static_cast<int32_t>(next_run - ids.begin()), num_tokens, 0,
                                  std::make_shared<const std::vector<float>>(std::move(*features))});
    next_run += num_tokens;
  }
  auto positions = mm::ComputeMropePositions(ids, image_token, grids, 2);
  EXPECT_TRUE(positions.ok()) << positions.status().message();
  if (!positions.ok()) return {};
  for (int axis = 0; axis < 3; ++axis) {
    EXPECT_EQ(positions->axes[axis], rc["mrope_position_ids"][axis].get<std::vector<int32_t>>());
  }
  batch.axis_positions.assign(positions->axes.begin(), positions->axes.end());
  prompt.rope_delta = positions->rope_delta();
  return prompt;
}

int32_t ArgMax(const float* row, int64_t n) { return static_cast<int32_t>(std::max_element(row, row + n) - row); }

TEST(Qwen25VlModelTest, ConfigComesFromTextConfig) {
  CpuBackend backend(1);
  auto model = LoadModel(mm::test::kQwen25VlDir, backend);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const ModelConfig& c = (*model)->config();
  EXPECT_EQ(c.arch, Architecture::kQwen25Vl);
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.vocab_size, 520);
  EXPECT_EQ(c.rope.rotary_dim, 16);
  EXPECT_EQ(c.rope.mrope_section, (std::vector<int>{2, 3, 3}));
  EXPECT_TRUE(c.rope.neox);
  EXPECT_TRUE(c.attention_bias);
  EXPECT_EQ(c.image_token_id, 517);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int32_t>{514}));
}

TEST(Qwen25VlModelTest, ReadsThePublishedFlatConfig) {
  // Qwen/Qwen2.5-VL-3B-Instruct's config.json shape: text fields at the top, the old
  // rope_scaling {type: mrope}.
  nlohmann::json j = {{"model_type", "qwen2_5_vl"}, {"vocab_size", 151936}, {"hidden_size", 2048},
                      {"intermediate_size", 11008}, {"num_hidden_layers", 36}, {"num_attention_heads", 16},
                      {"num_key_value_heads", 2}, {"rms_norm_eps", 1e-6}, {"rope_theta", 1000000.0},
                      {"max_position_embeddings", 128000}, {"tie_word_embeddings", true},
                      {"sliding_window", 32768}, {"use_sliding_window", false}, {"image_token_id", 151655},
                      {"rope_scaling", {{"type", "mrope"}, {"mrope_section", {16, 24, 24}}}},
                      {"vision_config", {{"depth", 32}, {"hidden_size", 1280}}}};
  auto config = ModelConfigFromHf(j);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->arch, Architecture::kQwen25Vl);
  EXPECT_EQ(config->head_dim, 128);
  EXPECT_EQ(config->rope.mrope_section, (std::vector<int>{16, 24, 24}));
  EXPECT_EQ(config->rope.theta, 1000000.0);
  EXPECT_EQ(config->sliding_window, 0);
  EXPECT_TRUE(config->tie_word_embeddings);
  j["rope_scaling"]["mrope_section"] = {16, 24, 16};
  auto wrong = ModelConfigFromHf(j);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), ::testing::HasSubstr("mrope_section sums to 56"));
  j.erase("rope_scaling");
  EXPECT_THAT(ModelConfigFromHf(j).status().message(), ::testing::HasSubstr("mrope_section"));
}

// The fixture model (KV cache of 256 slots) and its vision tower on one CPU backend.
class Qwen25VlReferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = LoadFixtureModel(backend_, 256);
    ASSERT_NE(model_, nullptr);
    auto tower = mm::Qwen25VlVisionTower::Load(mm::test::kQwen25VlDir, backend_);
    ASSERT_TRUE(tower.ok()) << tower.status().message();
    tower_ = std::move(tower).value();
    ASSERT_GE(reference_["cases"].size(), 3u);
  }
  Prompt PrepareCase(const nlohmann::json& rc) {
    return PreparePrompt(*tower_, *model_->config().image_token_id, rc);
  }

  CpuBackend backend_{2};
  std::unique_ptr<Model> model_;
  std::unique_ptr<mm::Qwen25VlVisionTower> tower_;
  const nlohmann::json reference_ = mm::test::Qwen25VlReference();
};

TEST_F(Qwen25VlReferenceTest, LogitsWithImagesMatchTransformers) {
  for (const auto& rc : reference_["cases"]) {
    SCOPED_TRACE(rc["prompt_text"].get<std::string>());
    const Prompt prompt = PrepareCase(rc);
    ASSERT_FALSE(prompt.batch.input_ids.empty());
    EXPECT_EQ(prompt.rope_delta, rc["rope_delta"].get<int32_t>());
    std::vector<float> logits;
    ASSERT_TRUE(model_->Forward(prompt.batch, &logits).ok());
    EXPECT_LT(mm::test::MaxAbsDiff(logits, mm::test::Flatten(rc["logits"])), 2e-4f);
  }
}

TEST_F(Qwen25VlReferenceTest, GreedyTokensMatchTransformers) {
  const int64_t vocab = model_->config().vocab_size;
  for (const auto& rc : reference_["cases"]) {
    SCOPED_TRACE(rc["prompt_text"].get<std::string>());
    Prompt prompt = PrepareCase(rc);
    ASSERT_FALSE(prompt.batch.input_ids.empty());
    prompt.batch.logit_rows = {static_cast<int32_t>(prompt.batch.num_tokens()) - 1};
    std::vector<float> logits;
    ASSERT_TRUE(model_->Forward(prompt.batch, &logits).ok());
    std::vector<int32_t> generated = {ArgMax(logits.data(), vocab)};
    const auto expected = rc["greedy"].get<std::vector<int32_t>>();
    size_t length = prompt.batch.input_ids.size();
    while (generated.size() < expected.size()) {
      ForwardBatch step;
      step.AddSequence({generated.back()}, Slots(++length), true);
      // After the prompt, every axis continues at the token's index + rope_delta.
      step.axis_positions.assign(3, {step.positions[0] + prompt.rope_delta});
      ASSERT_TRUE(model_->Forward(step, &logits).ok());
      generated.push_back(ArgMax(logits.data(), vocab));
    }
    EXPECT_EQ(generated, expected);
  }
}

TEST(Qwen25VlModelTest, TextOnlyBatchesUseTheTokenPositionOnEveryAxis) {
  CpuBackend backend(1);
  std::unique_ptr<Model> model = LoadFixtureModel(backend, 16);
  ASSERT_NE(model, nullptr);
  const std::vector<int32_t> ids = {5, 6, 7, 8};
  ForwardBatch implicit;
  implicit.AddSequence(ids, Slots(ids.size()), true);
  ForwardBatch explicit_axes = implicit;
  explicit_axes.axis_positions.assign(3, implicit.positions);
  std::vector<float> a, b;
  ASSERT_TRUE(model->Forward(implicit, &a).ok());
  ASSERT_TRUE(model->Forward(explicit_axes, &b).ok());
  EXPECT_EQ(a, b);
  explicit_axes.axis_positions[2][1] += 3;  // a different w position must change the result
  ASSERT_TRUE(model->Forward(explicit_axes, &b).ok());
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace sgl
