#include "model/model_config.h"

#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

namespace sgl {
namespace {

nlohmann::json LlamaConfig() {
  return {{"model_type", "llama"},        {"vocab_size", 100},         {"hidden_size", 64},
          {"intermediate_size", 128},     {"num_hidden_layers", 2},    {"num_attention_heads", 4},
          {"num_key_value_heads", 2},     {"rms_norm_eps", 1e-5},      {"max_position_embeddings", 512},
          {"rope_theta", 500000.0},       {"tie_word_embeddings", false}, {"eos_token_id", {7, 9}}};
}

TEST(ModelConfigTest, ReadsLlamaConfig) {
  auto c = ModelConfigFromHf(LlamaConfig());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->arch, Architecture::kLlama);
  EXPECT_EQ(c->head_dim, 16);
  EXPECT_EQ(c->rope.rotary_dim, 16);
  EXPECT_TRUE(c->rope.neox);
  EXPECT_EQ(c->rope.theta, 500000.0);
  EXPECT_EQ(c->eos_token_ids, (std::vector<int32_t>{7, 9}));
  EXPECT_FALSE(c->attention_bias);
  EXPECT_FALSE(c->qk_norm);
  EXPECT_EQ(c->sliding_window, 0);
}

TEST(ModelConfigTest, Llama3ScalingMatchesTheReferenceFormula) {
  auto j = LlamaConfig();
  j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                       {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 64}};
  auto c = ModelConfigFromHf(j);
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto inv = c->rope.InverseFrequencies();
  ASSERT_EQ(inv.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    const double base = 1.0 / std::pow(500000.0, 2.0 * i / 16);
    const double wavelen = 2 * std::numbers::pi / base;
    double want = base;
    if (wavelen > 64.0) want = base / 8;
    else if (wavelen >= 16.0) {
      const double smooth = (64.0 / wavelen - 1.0) / 3.0;
      want = (1 - smooth) * base / 8 + smooth * base;
    }
    EXPECT_NEAR(inv[i], want, 1e-6 * want) << i;
  }
  EXPECT_LT(inv[7], 1.0 / std::pow(500000.0, 14.0 / 16));  // the longest wavelength is slowed
}

TEST(ModelConfigTest, TransformersFiveRopeParametersPerLayerType) {
  nlohmann::json j = {{"model_type", "gemma3_text"}, {"vocab_size", 10}, {"hidden_size", 8},
                      {"intermediate_size", 16}, {"num_hidden_layers", 3}, {"num_attention_heads", 2},
                      {"num_key_value_heads", 1}, {"head_dim", 4}, {"sliding_window", 2},
                      {"layer_types", {"sliding_attention", "sliding_attention", "full_attention"}},
                      {"rope_parameters", {{"full_attention", {{"rope_type", "default"}, {"rope_theta", 1e6}}},
                                           {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 1e4}}}}},
                      {"query_pre_attn_scalar", 16}};
  auto c = ModelConfigFromHf(j);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->rope.theta, 1e6);
  EXPECT_EQ(c->rope_local.theta, 1e4);
  EXPECT_EQ(c->layer_is_sliding, (std::vector<bool>{true, true, false}));
  EXPECT_FLOAT_EQ(c->attention_scale, 0.25f);
  EXPECT_FLOAT_EQ(c->norm_weight_offset, 1.0f);
  EXPECT_FLOAT_EQ(c->embedding_scale, std::sqrt(8.0f));
  EXPECT_TRUE(c->tie_word_embeddings);
  EXPECT_EQ(c->hidden_act, Activation::kGeluTanh);
}

TEST(ModelConfigTest, ErrorsNameTheProblem) {
  auto j = LlamaConfig();
  j.erase("hidden_size");
  EXPECT_NE(ModelConfigFromHf(j).status().message().find("'hidden_size'"), std::string::npos);

  j = LlamaConfig();
  j["model_type"] = "bert";
  EXPECT_NE(ModelConfigFromHf(j).status().message().find("'bert' is not supported"), std::string::npos);

  j = LlamaConfig();
  j["num_key_value_heads"] = 3;  // 4 heads are not a multiple of 3
  EXPECT_NE(ModelConfigFromHf(j).status().message().find("multiple"), std::string::npos);

  j = LlamaConfig();
  j["tie_word_embeddings"] = "yes";
  EXPECT_NE(ModelConfigFromHf(j).status().message().find("wrong type"), std::string::npos);

  j = LlamaConfig();
  j["rope_scaling"] = {{"rope_type", "dynamic"}, {"factor", 2.0}};
  EXPECT_NE(ModelConfigFromHf(j).status().message().find("'dynamic'"), std::string::npos);

  EXPECT_FALSE(ModelConfigFromHf(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace sgl
