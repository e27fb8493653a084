// Loading a model whose files are inconsistent must fail with a message naming the file
// and the tensor or key at fault, never crash.
#include "model/model_files.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "model/model.h"
#include "testing/temp_dir.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

namespace fs = std::filesystem;

// A copy of a fixture's HF folder whose config.json is edited by `edit`.
std::string CopyWithConfig(const test::TempDir& dir, const std::string& arch,
                           const std::function<void(nlohmann::json&)>& edit) {
  const fs::path src = testing::SourcePath("tests/fixtures/models/" + arch + "/hf");
  for (const auto& entry : fs::directory_iterator(src)) fs::copy(entry.path(), fs::path(dir.path()) / entry.path().filename());
  auto config = nlohmann::json::parse(testing::ReadFileOrEmpty((src / "config.json").string()));
  edit(config);
  dir.Write("config.json", config.dump());
  return dir.path();
}

std::string LoadError(const std::string& path) {
  CpuBackend backend(1);
  auto model = LoadModel(path, backend);
  return model.ok() ? "" : model.status().message();
}

TEST(ModelFilesTest, ShapeMismatchNamesTensorAndShapes) {
  test::TempDir dir;
  const std::string path = CopyWithConfig(dir, "llama", [](auto& c) { c["intermediate_size"] = 96; });
  const std::string error = LoadError(path);
  EXPECT_NE(error.find("blk.0.ffn_gate.weight"), std::string::npos) << error;
  EXPECT_NE(error.find("expected [96, 64]"), std::string::npos) << error;
  EXPECT_NE(error.find(path), std::string::npos) << error;
}

TEST(ModelFilesTest, MissingTensorIsNamed) {
  test::TempDir dir;
  // Three layers in the config, two in the weights.
  const std::string path = CopyWithConfig(dir, "llama", [](auto& c) { c["num_hidden_layers"] = 3; });
  const std::string error = LoadError(path);
  EXPECT_NE(error.find("tensor 'blk.2.attn_norm.weight' is missing"), std::string::npos) << error;
}

TEST(ModelFilesTest, BadConfigValueIsNamed) {
  test::TempDir dir;
  const std::string path = CopyWithConfig(dir, "qwen2", [](auto& c) { c["num_attention_heads"] = "four"; });
  const std::string error = LoadError(path);
  EXPECT_NE(error.find("num_attention_heads"), std::string::npos) << error;
}

TEST(ModelFilesTest, MapsHfNamesPerArchitecture) {
  EXPECT_EQ(HfTensorName("blk.3.attn_q.bias", Architecture::kQwen2), "model.layers.3.self_attn.q_proj.bias");
  EXPECT_EQ(HfTensorName("blk.0.ffn_norm.weight", Architecture::kLlama), "model.layers.0.post_attention_layernorm.weight");
  EXPECT_EQ(HfTensorName("blk.0.ffn_norm.weight", Architecture::kGemma3), "model.layers.0.pre_feedforward_layernorm.weight");
  EXPECT_EQ(HfTensorName("blk.0.post_attention_norm.weight", Architecture::kGemma3),
            "model.layers.0.post_attention_layernorm.weight");
  EXPECT_EQ(HfTensorName("output.weight", Architecture::kLlama), "lm_head.weight");
  EXPECT_EQ(HfTensorName("blk.0.unknown.weight", Architecture::kLlama), "");
}

TEST(ModelFilesTest, DescribesTheFile) {
  auto files = ModelFiles::Open(testing::SourcePath("tests/fixtures/models/qwen3/model-f16.gguf"));
  ASSERT_TRUE(files.ok()) << files.status().message();
  const std::string d = (*files)->Description();
  EXPECT_NE(d.find("GGUF v3"), std::string::npos) << d;
  EXPECT_NE(d.find("F16 x"), std::string::npos) << d;
}

}  // namespace
}  // namespace sgl
