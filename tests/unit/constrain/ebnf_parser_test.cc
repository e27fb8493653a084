#include "constrain/ebnf_parser.h"

#include <gtest/gtest.h>

#include "constrain_testing.h"

namespace sgl::constrain {
namespace {

bool Matches(std::string_view grammar, std::string_view text) {
  auto g = ParseEbnf(grammar);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() && testing::Accepts(*g, text);
}

TEST(EbnfParserTest, RulesLiteralsClassesAndRepetition) {
  const char* g = R"(
    # a comment
    root   ::= greeting " " name ("!" | "?")*
    greeting ::= "hello" | 'hi'
    name   ::= [A-Z] [a-z]{1,5}
  )";
  EXPECT_TRUE(Matches(g, "hello Bob!!"));
  EXPECT_TRUE(Matches(g, "hi Alice"));
  EXPECT_FALSE(Matches(g, "hi alice"));
  EXPECT_FALSE(Matches(g, "hi Abcdefg"));
}

TEST(EbnfParserTest, MultiLineBodiesAndRecursion) {
  const char* g = "root ::= value\nvalue ::= \"[\" (\n  value (\",\" value)*\n)? \"]\" | [0-9]+\n";
  EXPECT_TRUE(Matches(g, "[1,[2,[]],33]"));
  EXPECT_FALSE(Matches(g, "[1,]"));
}

TEST(EbnfParserTest, EscapesNegationAndDot) {
  EXPECT_TRUE(Matches(R"(root ::= "\"" [^"\\]* "\"")", R"("abc é")"));
  EXPECT_TRUE(Matches(R"(root ::= "\x41\u00e9\n")", "Aé\n"));
  EXPECT_TRUE(Matches(R"(root ::= . . .)", "a中😀"));
  EXPECT_TRUE(Matches(R"(root ::= [\-\]]+)", "-]"));
}

void ExpectError(std::string_view grammar, std::string_view words) {
  auto g = ParseEbnf(grammar);
  std::string message = g.ok() ? "" : g.status().message();
  if (g.ok()) {
    auto a = GrammarAutomaton::Build(*g);
    ASSERT_FALSE(a.ok()) << grammar;
    message = a.status().message();
  }
  EXPECT_NE(message.find(words), std::string::npos) << message;
}

TEST(EbnfParserTest, ErrorsNameTheProblem) {
  ExpectError("root ::= foo", "'foo' is used but never defined");
  ExpectError("start ::= \"a\"", "no 'root' rule");
  ExpectError("root ::= \"a\"\nroot ::= \"b\"", "defined twice");
  ExpectError("root ::= \"abc", "unterminated string");
  ExpectError("root ::= [a-", "unterminated character class");
  ExpectError("root ::= (\"a\"", "missing ')'");
  ExpectError("root ::= \"a\" (= \"b\")", "lookahead");
  ExpectError("root ::= root \"a\" | \"a\"", "left-recursive");
  ExpectError("root ::= \"a\"{3,1}", "n < m");
  ExpectError("root ::= x\nx ::= \"a\" x", "matches no string");
  ExpectError("root = \"a\"", "'::='");
}

}  // namespace
}  // namespace sgl::constrain
