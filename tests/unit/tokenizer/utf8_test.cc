// UTF-8 helpers: lossy repair like Rust's from_utf8_lossy, and the complete-prefix rule
// the streaming detokenizer relies on.
#include "tokenizer/utf8.h"

#include <gtest/gtest.h>

namespace sgl::tokenizer {
namespace {

TEST(Utf8Test, LossyReplacesEachMaximalInvalidSubpart) {
  EXPECT_EQ(Utf8Lossy("abc"), "abc");
  EXPECT_EQ(Utf8Lossy("\xE6\x97\xA5"), "\xE6\x97\xA5");
  EXPECT_EQ(Utf8Lossy("a\xE6\x97" "b"), "a\xEF\xBF\xBD" "b");         // truncated sequence: one U+FFFD
  EXPECT_EQ(Utf8Lossy("\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");        // lone continuations: one each
  EXPECT_EQ(Utf8Lossy("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(Utf8Lossy("\xEF\xBF\xBD"), "\xEF\xBF\xBD");               // a real U+FFFD stays
}

TEST(Utf8Test, CompletePrefixHoldsBackOnlyAnUnfinishedCharacter) {
  EXPECT_EQ(CompleteUtf8Prefix("ab"), 2u);
  EXPECT_EQ(CompleteUtf8Prefix("a\xF0\x9F\x98"), 1u);  // 3 of 4 bytes of an emoji
  EXPECT_EQ(CompleteUtf8Prefix("a\xF0\x9F\x98\x80"), 5u);
  EXPECT_EQ(CompleteUtf8Prefix("a\xE6"), 1u);
  EXPECT_EQ(CompleteUtf8Prefix("a\x80"), 2u);      // invalid, not unfinished: let it through
  EXPECT_EQ(CompleteUtf8Prefix("a\xE6" "b"), 3u);  // broken sequence: nothing to wait for
}

TEST(Utf8Test, DecodeAndEncodeRoundTrip) {
  for (const char32_t cp : {U'a', U'\u00e9', U'\u65e5', U'\U0001F600'}) {
    std::string s;
    AppendUtf8(cp, s);
    const CodePoint decoded = DecodeUtf8(s, 0);
    EXPECT_EQ(decoded.value, cp);
    EXPECT_EQ(decoded.len, s.size());
  }
}

}  // namespace
}  // namespace sgl::tokenizer
