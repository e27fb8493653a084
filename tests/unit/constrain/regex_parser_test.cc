#include "constrain/regex_parser.h"

#include <gtest/gtest.h>

#include "constrain_testing.h"

namespace sgl::constrain {
namespace {

bool FullMatch(std::string_view pattern, std::string_view text) {
  auto re = ParseRegex(pattern);
  EXPECT_TRUE(re.ok()) << pattern << ": " << re.status().message();
  if (!re.ok()) return false;
  Grammar g;
  g.root_rule = g.AddRule("root", re->expr);
  return testing::Accepts(g, text);
}

TEST(RegexParserTest, LiteralsAndAlternation) {
  EXPECT_TRUE(FullMatch("abc", "abc"));
  EXPECT_FALSE(FullMatch("abc", "ab"));
  EXPECT_FALSE(FullMatch("abc", "abcd"));
  EXPECT_TRUE(FullMatch("cat|dog", "dog"));
  EXPECT_FALSE(FullMatch("cat|dog", "cow"));
  EXPECT_TRUE(FullMatch("a|", ""));
}

TEST(RegexParserTest, Quantifiers) {
  EXPECT_TRUE(FullMatch("a*", ""));
  EXPECT_TRUE(FullMatch("a+", "aaa"));
  EXPECT_FALSE(FullMatch("a+", ""));
  EXPECT_TRUE(FullMatch("ab?c", "ac"));
  EXPECT_TRUE(FullMatch("a{3}", "aaa"));
  EXPECT_FALSE(FullMatch("a{3}", "aa"));
  EXPECT_TRUE(FullMatch("a{2,}", "aaaaa"));
  EXPECT_FALSE(FullMatch("a{2,}", "a"));
  EXPECT_TRUE(FullMatch("a{1,3}", "aaa"));
  EXPECT_FALSE(FullMatch("a{1,3}", "aaaa"));
  EXPECT_TRUE(FullMatch("a*?b+?", "aab"));  // lazy = greedy for the language
  EXPECT_TRUE(FullMatch("a{,2}", "a{,2}"));  // not a quantifier: literal, as PCRE2
}

TEST(RegexParserTest, ClassesAndEscapes) {
  EXPECT_TRUE(FullMatch("[a-c]+", "abcba"));
  EXPECT_FALSE(FullMatch("[a-c]", "d"));
  EXPECT_TRUE(FullMatch("[^a-c]", "d"));
  EXPECT_TRUE(FullMatch("[^a-c]", "é"));
  EXPECT_FALSE(FullMatch("[^a-c]", "b"));
  EXPECT_TRUE(FullMatch("\\d{3}-\\d{4}", "555-1234"));
  EXPECT_TRUE(FullMatch("\\w+\\s\\w+", "hi there"));
  EXPECT_FALSE(FullMatch("\\D", "5"));
  EXPECT_TRUE(FullMatch("\\x41\\u00e9\\x{1F600}", "Aé😀"));
  EXPECT_TRUE(FullMatch("\\.\\*\\[\\]", ".*[]"));
  EXPECT_TRUE(FullMatch("[\\]a-]+", "]-a"));
  EXPECT_TRUE(FullMatch("[]a]", "]"));
}

TEST(RegexParserTest, UnicodeClassesBecomeUtf8Sequences) {
  EXPECT_TRUE(FullMatch("[α-ω]+", "αβγω"));
  EXPECT_FALSE(FullMatch("[α-ω]", "a"));
  EXPECT_TRUE(FullMatch("[一-龥]{2}", "中文"));
  EXPECT_TRUE(FullMatch("[\\x{10000}-\\x{10FFFF}]", "😀"));
  EXPECT_FALSE(FullMatch(".", "\xC3"));        // half a code point
  EXPECT_FALSE(FullMatch(".", "\xED\xA0\x80"));  // an encoded surrogate
  EXPECT_TRUE(FullMatch(".", "\xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(FullMatch(".", "\n"));
}

TEST(RegexParserTest, GroupsAndAnchors) {
  EXPECT_TRUE(FullMatch("(ab)+", "abab"));
  EXPECT_TRUE(FullMatch("(?:ab|cd){2}", "abcd"));
  EXPECT_TRUE(FullMatch("(?<year>\\d{4})-(?P<m>\\d\\d)", "2024-05"));
  EXPECT_TRUE(FullMatch("^abc$", "abc"));
  EXPECT_TRUE(FullMatch("^a|^b", "b"));
  auto re = ParseRegex("^ab$");
  ASSERT_TRUE(re.ok());
  EXPECT_TRUE(re->anchored_start);
  EXPECT_TRUE(re->anchored_end);
}

void ExpectRejected(std::string_view pattern, std::string_view feature) {
  auto re = ParseRegex(pattern);
  ASSERT_FALSE(re.ok()) << pattern;
  EXPECT_NE(re.status().message().find(feature), std::string::npos) << re.status().message();
}

TEST(RegexParserTest, UnsupportedFeaturesAreNamed) {
  ExpectRejected("(a)\\1", "backreferences");
  ExpectRejected("a(?=b)", "lookahead");
  ExpectRejected("a(?!b)", "lookahead");
  ExpectRejected("(?<=a)b", "lookbehind");
  ExpectRejected("(?<!a)b", "lookbehind");
  ExpectRejected("\\bword\\b", "word boundaries");
  ExpectRejected("a++", "possessive");
  ExpectRejected("(?i)abc", "inline flags");
  ExpectRejected("\\p{L}", "Unicode property");
  ExpectRejected("a^b", "'^'");
  ExpectRejected("a$b", "'$'");
  // '$' before ')': nothing may follow the group, nor may it repeat.
  ExpectRejected("(a$)b", "'$'");
  ExpectRejected("((a$))b", "'$'");
  ExpectRejected("(a$|c)b", "'$'");
  ExpectRejected("(a$)+", "'$'");
  ExpectRejected("(a$){2}", "'$'");
  for (std::string_view ok : {"(a$)", "(a$)?", "(a$|b)", "(a$)|bc", "x(y|(a$))", "((a$)|b)|cd"})
    EXPECT_TRUE(ParseRegex(ok).ok()) << ok;
}

TEST(RegexParserTest, MalformedPatternsAreErrors) {
  for (std::string_view bad : {"(", ")", "[a", "a{2,1}", "*a", "a\\", "[z-a]", "\\xZZ", "(?", "\xff"}) {
    EXPECT_FALSE(ParseRegex(bad).ok()) << bad;
  }
}

TEST(RegexParserTest, BlowUpFailsFast) {
  EXPECT_FALSE(ParseRegex("(a{1000}){1000}").ok());
  EXPECT_FALSE(ParseRegex("a{100000}").ok());
  std::string deep(1000, '(');
  EXPECT_FALSE(ParseRegex(deep + "a" + std::string(1000, ')')).ok());
  // Determinization blow-up: (a|b)*a(a|b){n} needs 2^n states.
  auto re = ParseRegex("[ab]*a[ab]{20}");
  ASSERT_TRUE(re.ok());
  Grammar g;
  g.root_rule = g.AddRule("root", re->expr);
  auto a = GrammarAutomaton::Build(g);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("state limit"), std::string::npos);
}

}  // namespace
}  // namespace sgl::constrain
