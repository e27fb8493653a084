// The incremental detokenizer against HF `tokenizers` (goldens made by
// tests/fixtures/tokenizers/make_detokenize_golden.py): feeding ids one at a time, every
// delta is valid UTF-8 that does not end in U+FFFD unless the ids really hold one there,
// and the deltas concatenated equal tokenizers' decode of all ids, with and without
// skipping special tokens, on texts with emoji, CJK, combining marks and byte-fallback
// characters and on random id sequences full of partial characters and special tokens.
#include "tokenizer/incremental_detokenizer.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/test_paths.h"
#include "tokenizer/utf8.h"

namespace sgl {
namespace {

std::string FixtureJsonPath(const std::string& name) {
  const std::string plain = testing::SourcePath("tests/fixtures/tokenizers/" + name + ".tokenizer.json");
  if (std::filesystem::exists(plain)) return plain;
  return std::string(SGL_TOKENIZER_FIXTURES) + "/" + name + ".tokenizer.json";
}

const nlohmann::json& Goldens() {
  static const nlohmann::json golden = nlohmann::json::parse(
      testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/tokenizers/detokenize_golden.json")));
  return golden;
}

bool EndsWithReplacementChar(const std::string& s) { return s.size() >= 3 && s.compare(s.size() - 3, 3, "\xEF\xBF\xBD") == 0; }

class IncrementalDetokenizerTest : public ::testing::TestWithParam<std::string> {};

TEST_P(IncrementalDetokenizerTest, DeltasConcatenateToHfDecode) {
  auto tok = Tokenizer::FromTokenizerJson(FixtureJsonPath(GetParam()));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  const auto& cases = Goldens().at("tokenizers").at(GetParam());
  ASSERT_GE(cases.size(), 10u);
  int held_back = 0;
  for (size_t c = 0; c < cases.size(); ++c) {
    const auto ids = cases[c].at("ids").get<std::vector<int32_t>>();
    for (bool skip : {false, true}) {
      const std::string expected = cases[c].at(skip ? "decoded_skip_special" : "decoded").get<std::string>();
      IncrementalDetokenizer detok(**tok, skip);
      std::string streamed;
      for (size_t i = 0; i < ids.size(); ++i) {
        const std::string delta = detok.Append(ids[i]);
        EXPECT_EQ(tokenizer::Utf8Lossy(delta), delta) << "case " << c << " id #" << i << ": broken UTF-8";
        streamed += delta;
        // What was given out is final: it must be where the full decode begins, and a
        // trailing U+FFFD must be one the full decode has at that place too.
        ASSERT_EQ(expected.compare(0, streamed.size(), streamed), 0)
            << "case " << c << " skip=" << skip << " after id #" << i << "\n  streamed " << streamed
            << "\n  expected " << expected;
        if (delta.empty()) ++held_back;
        if (EndsWithReplacementChar(delta)) {
          const std::string full_here = (*tok)->Decode(std::span<const int32_t>(ids).first(i + 1), skip);
          const std::string next = (*tok)->Decode(std::span<const int32_t>(ids).first(std::min(i + 2, ids.size())), skip);
          EXPECT_EQ(next.compare(0, full_here.size(), full_here), 0) << "case " << c << ": U+FFFD of an unfinished character";
        }
      }
      streamed += detok.Finish();
      EXPECT_EQ(streamed, expected) << "case " << c << " skip=" << skip;
    }
  }
  EXPECT_GT(held_back, 0) << "some ids should have been held back (partial characters, skipped tokens)";
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, IncrementalDetokenizerTest,
                         ::testing::Values("smollm2", "gemma3", "llama3", "deepseek"));

// Gemma 3's byte fallback: a character outside the vocabulary is several <0x..> tokens,
// which HF decodes as one group; nothing of it comes out before the group ends (here, at
// the next ordinary token), then the whole character at once.
TEST(IncrementalDetokenizerBytesTest, ByteFallbackCharacterComesOutWhole) {
  auto tok = Tokenizer::FromTokenizerJson(FixtureJsonPath("gemma3"));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  const std::string text = "\xF0\x93\x80\x80 ok";  // U+13000, EGYPTIAN HIEROGLYPH A001
  const auto ids = (*tok)->Encode(text, false);
  ASSERT_GE(ids.size(), 5u);
  for (size_t i = 0; i < 4; ++i) ASSERT_TRUE((*tok)->IsByteFallbackToken(ids[i])) << i;
  IncrementalDetokenizer detok(**tok, true);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(detok.Append(ids[i]), "") << i;
  std::string rest;
  for (size_t i = 4; i < ids.size(); ++i) rest += detok.Append(ids[i]);
  rest += detok.Finish();
  EXPECT_EQ(rest, text);
}

TEST(IncrementalDetokenizerBytesTest, UnfinishedCharacterAtTheEndDecodesAsHfDoes) {
  auto tok = Tokenizer::FromTokenizerJson(FixtureJsonPath("gemma3"));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  auto ids = (*tok)->Encode("ok \xF0\x93\x80\x80", false);
  ids.pop_back();
  IncrementalDetokenizer detok(**tok, true);
  std::string streamed;
  for (int32_t id : ids) streamed += detok.Append(id);
  EXPECT_EQ(streamed, (*tok)->Decode(std::span<const int32_t>(ids).first(ids.size() - 3), true));
  streamed += detok.Finish();
  EXPECT_EQ(streamed, (*tok)->Decode(ids, true));
}

}  // namespace
}  // namespace sgl
