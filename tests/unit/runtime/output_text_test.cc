// OutputText on the SmolLM2 tokenizer: stop strings found across token boundaries, the
// earliest match winning, cut before (or after, with no_stop_trim) the match; streamed
// text holding back what could still become a stop string and adding up to text();
// matches blocked by min_new_tokens never count.
#include "runtime/output_text.h"

#include <gtest/gtest.h>

#include "testing/test_paths.h"

namespace sgl {
namespace {

class OutputTextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tok = Tokenizer::FromTokenizerJson(std::string(SGL_TOKENIZER_FIXTURES) + "/smollm2.tokenizer.json");
    ASSERT_TRUE(tok.ok()) << tok.status().message();
    tok_ = std::move(tok).value();
  }

  struct Outcome {
    std::string streamed;
    std::optional<std::string> matched;
    size_t tokens_used = 0;
    std::string text;
  };

  // Feeds the tokens of `text` one by one, stopping at a match; stop checks are allowed
  // from token `may_stop_from` on.
  Outcome Feed(const std::string& text, const SamplingParams& params, size_t may_stop_from = 0) {
    OutputText out(*tok_, params);
    Outcome o;
    const auto ids = tok_->Encode(text, false);
    for (size_t i = 0; i < ids.size() && !o.matched; ++i) {
      o.matched = out.Append(ids[i], i >= may_stop_from);
      o.streamed += out.TakeStreamable();
      o.tokens_used = i + 1;
    }
    out.Finish();
    o.streamed += out.TakeStreamable();
    o.text = out.text();
    EXPECT_EQ(o.streamed, o.text);
    return o;
  }

  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(OutputTextTest, NoStopStringsGivesTheWholeDecode) {
  const std::string text = "Hello world, 日本語 😀!";
  const Outcome o = Feed(text, SamplingParams{});
  EXPECT_EQ(o.text, text);
  EXPECT_FALSE(o.matched);
}

TEST_F(OutputTextTest, EarliestMatchAcrossTokensIsCut) {
  SamplingParams p;
  p.stop = {"quick", "fox jum", "lo, w"};
  const Outcome o = Feed("Hello, world! The quick fox jumps", p);
  ASSERT_TRUE(o.matched);
  EXPECT_EQ(*o.matched, "lo, w");
  EXPECT_EQ(o.text, "Hel");
  p.no_stop_trim = true;
  EXPECT_EQ(Feed("Hello, world! The quick fox jumps", p).text, "Hello, w");
  // Both complete with the token " world": the one that starts first wins, whatever the order.
  p.no_stop_trim = false;
  p.stop = {"world", "o, w"};
  const Outcome both = Feed("Hello, world!", p);
  EXPECT_EQ(both.matched, "o, w");
  EXPECT_EQ(both.text, "Hell");
}

TEST_F(OutputTextTest, StreamingHoldsBackAPossibleStopStringStart) {
  SamplingParams p;
  p.stop = {"world!!"};
  OutputText out(*tok_, p);
  std::string streamed;
  for (int32_t id : tok_->Encode("Hello world", false)) {
    EXPECT_FALSE(out.Append(id, true));
    streamed += out.TakeStreamable();
  }
  EXPECT_EQ(streamed, "Hello ");  // "world" may still become "world!!"
  for (int32_t id : tok_->Encode("! x", false)) {
    if (out.Append(id, true)) break;
    streamed += out.TakeStreamable();
  }
  streamed += out.TakeStreamable();
  EXPECT_EQ(streamed, "Hello world! x");  // "!" then " x": no match, everything released
  out.Finish();
  EXPECT_EQ(out.text(), "Hello world! x");
}

TEST_F(OutputTextTest, MatchesBlockedByMinNewTokensNeverCount) {
  SamplingParams p;
  p.stop = {"ab"};
  const std::string text = "ab cd ab ef";
  const auto ids = tok_->Encode(text, false);
  // Blocking the tokens of the first "ab": the second one matches.
  size_t first_ab_tokens = tok_->Encode("ab", false).size();
  const Outcome o = Feed(text, p, first_ab_tokens);
  ASSERT_TRUE(o.matched);
  EXPECT_EQ(o.text, "ab cd ");
  // Not blocked: the first one.
  EXPECT_EQ(Feed(text, p, 0).text, "");
}

}  // namespace
}  // namespace sgl
