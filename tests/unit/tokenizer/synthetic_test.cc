// Components the real tokenizers do not use (NFC/NFKC, Lowercase, Prepend, every Split
// behavior and invert, Digits, Metaspace, byte_fallback with unk, subword affixes,
// ignore_merges, added-token flags, TemplateProcessing, Strip/Replace decoders), checked
// against HF `tokenizers` on small trained tokenizers (tests/fixtures/tokenizers/
// make_synthetic.py), plus WordPiece, Unigram and WordLevel models with the BERT-style
// components and pair encodings with type ids, and the rejection of unsupported ones.
#include <atomic>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/temp_dir.h"
#include "testing/test_paths.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace sgl {
namespace {

Result<std::unique_ptr<Tokenizer>> LoadFromJson(const nlohmann::json& config) {
  test::TempDir dir;
  return Tokenizer::FromTokenizerJson(dir.Write("tokenizer.json", config.dump()));
}

const nlohmann::json& Synthetic() {
  static const nlohmann::json json =
      nlohmann::json::parse(testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/tokenizers/synthetic.json")));
  return json;
}

class SyntheticTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SyntheticTest, EncodeAndDecodeEqualHfTokenizers) {
  const auto& entry = Synthetic().at("tokenizers").at(GetParam());
  auto tok = LoadFromJson(entry.at("tokenizer"));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  const auto& corpus = Synthetic().at("corpus");
  const auto& cases = entry.at("cases");
  ASSERT_EQ(corpus.size(), cases.size());
  for (size_t i = 0; i < corpus.size(); ++i) {
    const std::string text = corpus[i].get<std::string>();
    const auto ids = cases[i].at("ids").get<std::vector<int32_t>>();
    EXPECT_EQ((*tok)->Encode(text, true), ids) << "text " << i << ": " << text;
    EXPECT_EQ((*tok)->Encode(text, false), cases[i].at("ids_no_special").get<std::vector<int32_t>>()) << "text " << i;
    EXPECT_EQ((*tok)->Decode(ids, false), cases[i].at("decoded").get<std::string>()) << "decode of text " << i;
    EXPECT_EQ((*tok)->Decode(ids, true), cases[i].at("decoded_skip_special").get<std::string>()) << "text " << i;
  }
  for (const auto& pair : entry.value("pairs", nlohmann::json::array())) {
    const std::string a = corpus[pair.at("a").get<size_t>()].get<std::string>();
    const std::string b = corpus[pair.at("b").get<size_t>()].get<std::string>();
    const bool special = pair.at("add_special_tokens").get<bool>();
    const tokenizer::Encoding got = (*tok)->EncodePair(a, b, special);
    EXPECT_EQ(got.ids, pair.at("ids").get<std::vector<int32_t>>()) << "pair " << pair.dump();
    EXPECT_EQ(got.type_ids, pair.at("type_ids").get<std::vector<int32_t>>()) << "pair type ids " << pair.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, SyntheticTest,
                         ::testing::Values("bytelevel_splits_nfkc", "metaspace_bytefallback_lowercase",
                                           "unk_digits_no_decoder", "subword_affixes_strip", "ignore_merges",
                                           "bpe_suffix_whitespace_nfkd", "wordpiece_bert", "wordpiece_cased_template",
                                           "wordpiece_punct_contiguous", "unigram_metaspace_always",
                                           "unigram_bytefallback_never", "unigram_first_roberta", "word_level_ctc"));

nlohmann::json MinimalTokenizer() {
  return nlohmann::json::parse(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]},
                                   "normalizer": null, "pre_tokenizer": null, "post_processor": null,
                                   "decoder": null, "added_tokens": []})");
}

TEST(TokenizerLoadTest, UnsupportedComponentsAreNamed) {
  auto config = MinimalTokenizer();
  config["normalizer"] = {{"type", "NoSuchNormalizer"}};
  auto tok = LoadFromJson(config);
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(tok.status().message().find("NoSuchNormalizer"), std::string::npos);

  config = MinimalTokenizer();
  config["model"]["dropout"] = 0.1;
  tok = LoadFromJson(config);
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.status().message().find("dropout"), std::string::npos);

  config = MinimalTokenizer();
  config["model"] = {{"type", "SentencePieceChar"}, {"vocab", {{"a", 0}}}};
  tok = LoadFromJson(config);
  ASSERT_FALSE(tok.ok());
  EXPECT_NE(tok.status().message().find("SentencePieceChar"), std::string::npos);
}

TEST(TokenizerLoadTest, MalformedFilesAreErrorsNotCrashes) {
  auto config = MinimalTokenizer();
  config["model"]["merges"] = {"a c"};
  EXPECT_FALSE(LoadFromJson(config).ok());
  config = MinimalTokenizer();
  config["model"]["vocab"] = 3;
  EXPECT_FALSE(LoadFromJson(config).ok());
  EXPECT_FALSE(Tokenizer::FromTokenizerJson("/nonexistent/tokenizer.json").ok());
}

TEST(TokenizerLoadTest, HostileFilesAreErrors) {
  std::string deep = R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "normalizer": )";
  for (int i = 0; i < 100000; ++i) deep += R"({"type": "Sequence", "normalizers": [)";
  EXPECT_FALSE(Tokenizer::FromJsonText(deep).ok()) << "nesting deep enough to overflow a recursive loader";
  auto config = MinimalTokenizer();
  config["model"]["vocab"]["huge"] = 2147483000;
  EXPECT_FALSE(LoadFromJson(config).ok()) << "an id that would allocate billions of entries";
  config = MinimalTokenizer();
  config["model"]["vocab"]["float"] = 2.08e26;  // found by the fuzzer: a float cast to int is UB
  EXPECT_FALSE(LoadFromJson(config).ok());
  config = MinimalTokenizer();
  config["added_tokens"] = nlohmann::json::parse(R"([{"id": -1e300, "content": "x"}])");
  EXPECT_FALSE(LoadFromJson(config).ok());
  config = nlohmann::json::parse(R"({"model": {"type": "WordPiece", "vocab": {"a": 1073741824}}})");
  EXPECT_FALSE(LoadFromJson(config).ok());
  config = nlohmann::json::parse(R"({"model": {"type": "Unigram", "vocab": [["a", -1.0]], "unk_id": 5}})");
  EXPECT_FALSE(LoadFromJson(config).ok()) << "unk_id outside the vocabulary";
  config = MinimalTokenizer();
  config["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", "not base64!"}};
  EXPECT_FALSE(LoadFromJson(config).ok());
  config["normalizer"]["precompiled_charsmap"] = "/////w==";  // a trie size far past the data
  EXPECT_FALSE(LoadFromJson(config).ok());
}

TEST(TokenizerLoadTest, CorruptPrecompiledTrieNeverReadsOutOfBounds) {
  // A 2-unit trie whose offsets point far outside it: lookups must just fail.
  auto config = MinimalTokenizer();
  config["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", "CAAAAP///3//////YQA="}};
  auto tok = LoadFromJson(config);
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ((*tok)->Encode("abba", false), (std::vector<int32_t>{2, 1, 0}));
}

TEST(TokenizerLoadTest, WordPieceLongWordIsFastAndUnk) {
  // max_input_chars_per_word is huge, so the greedy search runs; it must stay linear.
  auto config = nlohmann::json::parse(R"({"model": {"type": "WordPiece", "unk_token": "[UNK]", "max_input_chars_per_word": 100000000,
                                          "continuing_subword_prefix": "##", "vocab": {"[UNK]": 0, "ab": 1, "##ab": 2, "##a": 3}},
                                          "pre_tokenizer": {"type": "WhitespaceSplit"}})");
  auto tok = LoadFromJson(config);
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  std::string word;
  for (int i = 0; i < 200000; ++i) word += "ab";
  EXPECT_EQ((*tok)->Encode(word, false).size(), 200000u);
  EXPECT_EQ((*tok)->Encode(word + "c", false), std::vector<int32_t>{0});
  EXPECT_EQ((*tok)->Encode("ab aba abc", false), (std::vector<int32_t>{1, 1, 3, 0}));
}

TEST(TokenizerLoadTest, MergesInBothFormsAndTokenBytes) {
  auto config = MinimalTokenizer();
  config["model"]["merges"] = nlohmann::json::array({nlohmann::json::array({"a", "b"})});
  auto tok = LoadFromJson(config);
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ((*tok)->Encode("abba", false), (std::vector<int32_t>{2, 1, 0}));
  EXPECT_EQ((*tok)->TokenBytes(2), "ab");
  EXPECT_EQ((*tok)->TokenBytes(99), "");
  EXPECT_EQ((*tok)->vocab_size(), 3);
}

TEST(TokenizerLoadTest, HfFolderTakesBosAndEosFromTokenizerConfig) {
  // The fixture's tokenizer_config.json names <|bos|> and <|eos|>, added tokens 1 and 2.
  auto tok = Tokenizer::FromModelPath(testing::SourcePath("tests/fixtures/models/llama/hf"));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  EXPECT_EQ((*tok)->bos_id(), 1);
  EXPECT_EQ((*tok)->eos_id(), 2);
  EXPECT_TRUE((*tok)->IsSpecial(1));
  EXPECT_FALSE(Tokenizer::FromModelPath(testing::SourcePath("tests/fixtures")).ok());  // no tokenizer.json
}

TEST(TokenizerLoadTest, EncodeIsSafeFromManyThreads) {
  auto tok = Tokenizer::FromModelPath(testing::SourcePath("tests/fixtures/models/smollm2/model.gguf"));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  const std::string text = "Hello, world! 12345 \xE6\x97\xA5\xE6\x9C\xAC <|im_start|> tabs\t\tend";
  const auto expected = (*tok)->Encode(text, true);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if ((*tok)->Encode(text, true) != expected || (*tok)->Decode(expected, false).empty()) ++mismatches;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(TokenizerLoadTest, RandomBytesRoundTripAndRandomIdsDecode) {
  auto tok = Tokenizer::FromModelPath(testing::SourcePath("tests/fixtures/models/smollm2/model.gguf"));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : "a \n\xE6\x97\xA5\xF0\x9F\x98\x80"[rng() % 10]);
    const auto ids = (*tok)->Encode(bytes, false);
    // Byte-level BPE loses nothing once invalid UTF-8 has been replaced by U+FFFD.
    EXPECT_EQ((*tok)->Decode(ids, false), tokenizer::Utf8Lossy(bytes)) << "round " << round;
    std::vector<int32_t> random_ids(rng() % 16);
    for (int32_t& id : random_ids) id = static_cast<int32_t>(rng() % ((*tok)->vocab_size() + 10)) - 5;
    const std::string text = (*tok)->Decode(random_ids, rng() % 2 == 0);
    EXPECT_EQ(tokenizer::Utf8Lossy(text), text) << "Decode returns valid UTF-8";
  }
}

}  // namespace
}  // namespace sgl
