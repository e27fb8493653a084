// Tokenizer::FromGguf beyond the real model files: a GGUF carrying the Llama 3 vocabulary
// under tokenizer.ggml.pre "llama-bpe" must tokenize the corpus as HF tokenizers does
// with Llama 3's tokenizer.json (llama.cpp's regex for that name is the same split), and
// unsupported tokenizer kinds are named in the error.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "format/gguf_builder.h"
#include "format/gguf_file.h"
#include "testing/test_paths.h"
#include "tokenizer/tokenizer.h"

namespace sgl {
namespace {

GgufValue StringArray(const std::vector<std::string>& items) {
  GgufArray array;
  array.reserve(items.size());
  for (const std::string& s : items) array.push_back(GgufValue{s});
  return GgufValue{std::move(array)};
}

TEST(GgufTokenizerTest, Llama3VocabularyWithLlamaBpeSplitMatchesHf) {
  const std::string json_path = std::string(SGL_TOKENIZER_FIXTURES) + "/llama3.tokenizer.json";
  const auto config = nlohmann::json::parse(testing::ReadFileOrEmpty(json_path));
  std::vector<std::string> tokens;
  GgufArray types;
  auto put = [&](int32_t id, const std::string& token, int32_t type) {
    if (tokens.size() <= static_cast<size_t>(id)) {
      tokens.resize(id + 1);
      types.resize(id + 1, GgufValue{int32_t{1}});
    }
    tokens[id] = token;
    types[id] = GgufValue{type};
  };
  for (const auto& [token, id] : config.at("model").at("vocab").items()) put(id.get<int32_t>(), token, 1);
  for (const auto& added : config.at("added_tokens")) {
    put(added.at("id").get<int32_t>(), added.at("content").get<std::string>(), added.value("special", false) ? 3 : 4);
  }
  std::vector<std::string> merges;
  for (const auto& m : config.at("model").at("merges")) merges.push_back(m.get<std::string>());

  const std::vector<uint8_t> image = test::GgufBuilder()
                                         .AddKv("general.architecture", GgufValue{std::string("llama")})
                                         .AddKv("tokenizer.ggml.model", GgufValue{std::string("gpt2")})
                                         .AddKv("tokenizer.ggml.pre", GgufValue{std::string("llama-bpe")})
                                         .AddKv("tokenizer.ggml.tokens", StringArray(tokens))
                                         .AddKv("tokenizer.ggml.token_type", GgufValue{std::move(types)})
                                         .AddKv("tokenizer.ggml.merges", StringArray(merges))
                                         .AddKv("tokenizer.ggml.bos_token_id", GgufValue{uint32_t{128000}})
                                         .AddKv("tokenizer.ggml.eos_token_id", GgufValue{uint32_t{128009}})
                                         .AddKv("tokenizer.ggml.add_bos_token", GgufValue{true})
                                         .Build();
  auto gguf = GgufFile::Parse(image, "llama3-tokenizer.gguf");
  ASSERT_TRUE(gguf.ok()) << gguf.status().message();
  auto tok = Tokenizer::FromGguf(**gguf);
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ((*tok)->bos_id(), 128000);
  EXPECT_EQ((*tok)->eos_id(), 128009);

  const auto golden = nlohmann::json::parse(testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/tokenizers/golden.json")));
  const auto& corpus = golden.at("corpus");
  const auto& cases = golden.at("tokenizers").at("llama3");
  for (size_t i = 0; i < corpus.size(); ++i) {
    const std::string text = corpus[i].get<std::string>();
    const auto ids = cases[i].at("ids_no_special").get<std::vector<int32_t>>();
    EXPECT_EQ((*tok)->Encode(text, false), ids) << "text " << i << ": " << text;
    std::vector<int32_t> with_bos{128000};
    with_bos.insert(with_bos.end(), ids.begin(), ids.end());
    EXPECT_EQ((*tok)->Encode(text, true), with_bos) << "add_bos_token, text " << i;
    EXPECT_EQ((*tok)->Decode(ids, false), cases[i].at("decoded").get<std::string>()) << "text " << i;
  }
}

TEST(GgufTokenizerTest, UnsupportedKindsAreNamed) {
  for (const auto& [model, pre] : {std::pair<std::string, std::string>{"bert", "default"}, {"gpt2", "no-such-pre"}}) {
    const std::vector<uint8_t> image = test::GgufBuilder()
                                           .AddKv("tokenizer.ggml.model", GgufValue{model})
                                           .AddKv("tokenizer.ggml.pre", GgufValue{pre})
                                           .AddKv("tokenizer.ggml.tokens", StringArray({"a", "b", "ab"}))
                                           .AddKv("tokenizer.ggml.merges", StringArray({"a b"}))
                                           .Build();
    auto gguf = GgufFile::Parse(image, "tiny.gguf");
    ASSERT_TRUE(gguf.ok()) << gguf.status().message();
    auto tok = Tokenizer::FromGguf(**gguf);
    ASSERT_FALSE(tok.ok());
    EXPECT_EQ(tok.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(tok.status().message().find(model == "bert" ? model : pre), std::string::npos) << tok.status().message();
  }
}

}  // namespace
}  // namespace sgl
