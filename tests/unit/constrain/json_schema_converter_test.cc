#include "constrain/json_schema_converter.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "constrain_testing.h"

namespace sgl::constrain {
namespace {

struct Checker {
  explicit Checker(std::string_view schema, JsonGrammarOptions options = {}) {
    auto g = JsonSchemaToGrammar(schema, options);
    EXPECT_TRUE(g.ok()) << schema << ": " << g.status().message();
    if (!g.ok()) return;
    auto a = GrammarAutomaton::Build(*g);
    EXPECT_TRUE(a.ok()) << a.status().message();
    if (a.ok()) automaton = std::move(*a);
  }
  bool operator()(std::string_view json) const { return automaton && testing::Accepts(*automaton, json); }
  std::optional<GrammarAutomaton> automaton;
};

TEST(JsonSchemaConverterTest, Scalars) {
  Checker s(R"({"type":"string"})");
  EXPECT_TRUE(s(R"("hi \"there\" \u00e9 é")"));
  EXPECT_FALSE(s(R"("bad \x")"));
  EXPECT_FALSE(s("\"line\nbreak\""));
  EXPECT_FALSE(s(R"("\ud800")"));  // lone surrogate escape
  Checker i(R"({"type":"integer"})");
  EXPECT_TRUE(i("-42"));
  EXPECT_FALSE(i("042"));
  EXPECT_FALSE(i("1.5"));
  Checker n(R"({"type":"number"})");
  EXPECT_TRUE(n("-0.5e+10"));
  EXPECT_FALSE(n(".5"));
  Checker b(R"({"type":["boolean","null"]})");
  EXPECT_TRUE(b("true"));
  EXPECT_TRUE(b("null"));
  EXPECT_FALSE(b("1"));
}

TEST(JsonSchemaConverterTest, IntegerRanges) {
  Checker r(R"({"type":"integer","minimum":-15,"maximum":230})");
  for (int v = -30; v <= 300; ++v) EXPECT_EQ(r(std::to_string(v)), v >= -15 && v <= 230) << v;
  Checker e(R"({"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10})");
  EXPECT_FALSE(e("0"));
  EXPECT_TRUE(e("1"));
  EXPECT_FALSE(e("10"));
  Checker lo(R"({"type":"integer","minimum":18})");
  EXPECT_FALSE(lo("17"));
  EXPECT_TRUE(lo("18"));
  EXPECT_TRUE(lo("1000000000000000000000"));
  Checker f(R"({"type":"number","minimum":0,"maximum":1})");
  EXPECT_TRUE(f("0.25"));
  EXPECT_TRUE(f("1"));
  EXPECT_FALSE(f("1.5"));
  EXPECT_FALSE(f("-0.5"));
}

TEST(JsonSchemaConverterTest, StringsWithLengthPatternFormat) {
  Checker len(R"({"type":"string","minLength":2,"maxLength":3})");
  EXPECT_FALSE(len(R"("a")"));
  EXPECT_TRUE(len(R"("ab")"));
  EXPECT_TRUE(len(R"("a\nb")"));  // an escape is one character
  EXPECT_FALSE(len(R"("abcd")"));
  Checker pat(R"({"type":"string","pattern":"^[A-Z]{3}-\\d{4}$"})");
  EXPECT_TRUE(pat(R"("ABC-1234")"));
  EXPECT_FALSE(pat(R"("ABC-123")"));
  Checker search(R"({"type":"string","pattern":"ab"})");  // unanchored: a search
  EXPECT_TRUE(search(R"("xxabyy")"));
  EXPECT_FALSE(search(R"("xxa")"));
  Checker date(R"({"type":"string","format":"date"})");
  EXPECT_TRUE(date(R"("2024-02-28")"));
  EXPECT_FALSE(date(R"("2024-02-31")"));
  Checker uuid(R"({"format":"uuid"})");
  EXPECT_TRUE(uuid(R"("123e4567-e89b-12d3-a456-426614174000")"));
  Checker ip(R"({"type":"string","format":"ipv4"})");
  EXPECT_TRUE(ip(R"("192.168.0.255")"));
  EXPECT_FALSE(ip(R"("256.1.1.1")"));
  Checker email(R"({"type":"string","format":"email"})");
  EXPECT_TRUE(email(R"("a.b@example.com")"));
  EXPECT_FALSE(email(R"("a@b")"));
  Checker dt(R"({"type":"string","format":"date-time"})");
  EXPECT_TRUE(dt(R"("2024-05-01T12:30:00Z")"));
  EXPECT_TRUE(dt(R"("2024-05-01T12:30:00.123+02:00")"));
}

TEST(JsonSchemaConverterTest, ObjectsInOrderWithOptionalMembers) {
  Checker o(R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},"required":["b"]})");
  EXPECT_TRUE(o(R"({"b":"x"})"));
  EXPECT_TRUE(o(R"({"a":1,"b":"x","c":true})"));
  EXPECT_TRUE(o(R"({"b":"x","c":false})"));
  EXPECT_FALSE(o(R"({"a":1})"));
  EXPECT_FALSE(o(R"({"b":"x","d":1})"));  // strict: no extra properties
  EXPECT_FALSE(o(R"({"b":"x",})"));
  EXPECT_FALSE(o(R"({ "b":"x"})"));      // compact by default
  Checker ws(R"({"type":"object","properties":{"a":{"type":"integer"}}})", {true, 4});
  EXPECT_TRUE(ws("{ \"a\" : 1 }"));
  Checker extra(R"({"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":{"type":"string"}})");
  EXPECT_TRUE(extra(R"({"a":1,"zz":"y"})"));
  EXPECT_TRUE(extra(R"({"zz":"y"})"));
  EXPECT_FALSE(extra(R"({"a":1,"zz":2})"));
  Checker any(R"({"type":"object"})");
  EXPECT_TRUE(any(R"({"x":[1,{"y":null}],"z":"s"})"));
}

TEST(JsonSchemaConverterTest, ArraysEnumsConstAndCombinators) {
  Checker arr(R"({"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3})");
  EXPECT_FALSE(arr("[]"));
  EXPECT_TRUE(arr("[1,2,3]"));
  EXPECT_FALSE(arr("[1,2,3,4]"));
  Checker tuple(R"({"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":false})");
  EXPECT_TRUE(tuple(R"(["a",1])"));
  EXPECT_FALSE(tuple(R"(["a",1,2])"));
  Checker e(R"({"enum":["red",2,null,{"k":[true]}]})");
  EXPECT_TRUE(e(R"("red")"));
  EXPECT_TRUE(e(R"({"k":[true]})"));
  EXPECT_FALSE(e(R"("blue")"));
  Checker c(R"({"const":"v1"})");
  EXPECT_TRUE(c(R"("v1")"));
  Checker any_of(R"({"anyOf":[{"type":"integer"},{"type":"string","maxLength":1}]})");
  EXPECT_TRUE(any_of("5"));
  EXPECT_TRUE(any_of(R"("a")"));
  EXPECT_FALSE(any_of(R"("ab")"));
  Checker all_of(R"({"allOf":[{"properties":{"a":{"type":"integer"}},"required":["a"]},{"properties":{"b":{"type":"integer"}},"required":["b"]}]})");
  EXPECT_TRUE(all_of(R"({"a":1,"b":2})"));
  EXPECT_FALSE(all_of(R"({"a":1})"));
  Checker nullable(R"({"type":"string","nullable":true})");
  EXPECT_TRUE(nullable("null"));
  Checker untyped(R"({"properties":{"a":{"type":"integer"}},"nullable":true})");  // OpenAPI: only with type
  EXPECT_TRUE(untyped(R"({"a":1})"));
  EXPECT_FALSE(untyped("null"));
}

TEST(JsonSchemaConverterTest, NegativeFractionsInRanges) {
  // Every spelling v.d (one decimal) in [-4.9, 4.9] is accepted iff lo <= v <= hi.
  struct Range { int lo, hi; };
  for (Range r : {Range{-3, 2}, Range{-3, -1}, Range{-1, 0}, Range{1, 3}}) {
    std::string schema = R"({"type":"number","minimum":)" + std::to_string(r.lo) + R"(,"maximum":)" + std::to_string(r.hi) + "}";
    Checker c(schema);
    for (int tenths = -49; tenths <= 49; ++tenths) {
      if (tenths % 10 == 0) continue;
      std::string text = (tenths < 0 ? "-" : "") + std::to_string(std::abs(tenths) / 10) + "." + std::to_string(std::abs(tenths) % 10);
      double v = tenths / 10.0;
      EXPECT_EQ(c(text), v >= r.lo && v <= r.hi) << schema << " " << text;
    }
  }
  Checker open_below(R"({"type":"number","maximum":-2})");
  EXPECT_TRUE(open_below("-1234.5"));
  EXPECT_FALSE(open_below("-1.5"));
  EXPECT_FALSE(open_below("-00.5"));
}

TEST(JsonSchemaConverterTest, ExtraKeysNeverRepeatDeclaredOnes) {
  Checker o(R"({"type":"object","properties":{"ab":{"type":"integer"},"b":{"type":"integer"}},"required":["r"],"additionalProperties":{"type":"string"}})");
  EXPECT_TRUE(o(R"({"ab":1,"r":2,"a":"x"})"));
  EXPECT_TRUE(o(R"({"ab":1,"r":2,"abc":"x","x":"y","":"z","é":"w"})"));
  EXPECT_FALSE(o(R"({"ab":1,"r":2,"ab":"x"})"));
  EXPECT_FALSE(o(R"({"r":2,"b":"x"})"));
  EXPECT_FALSE(o(R"({"r":2,"r":"x"})"));            // required but undeclared is a name too
  EXPECT_FALSE(o(R"({"r":2,"a\u0062":"x"})"));     // no escaped spelling of a name
  EXPECT_TRUE(o(R"({"r":2,"x\u0062":"x"})"));      // escapes once the key differs
  Checker unicode(R"({"type":"object","properties":{"é":{"type":"integer"}},"additionalProperties":true})");
  EXPECT_TRUE(unicode(R"({"é":1,"e":2})"));
  EXPECT_FALSE(unicode(R"({"é":1,"é":2})"));
}

TEST(JsonSchemaConverterTest, OneOfIsAnyOfLikeXgrammar) {
  // oneOf becomes anyOf (as xgrammar 0.2.8 does when it cannot prove the branches
  // disjoint): exact for disjoint branches, and an overlap is not excluded.
  Checker disjoint(R"({"oneOf":[{"type":"integer"},{"type":"string"}]})");
  EXPECT_TRUE(disjoint("5"));
  EXPECT_TRUE(disjoint(R"("5")"));
  EXPECT_FALSE(disjoint("true"));
  Checker overlap(R"({"oneOf":[{"type":"integer"},{"type":"number"}]})");
  EXPECT_TRUE(overlap("5"));
}

TEST(JsonSchemaConverterTest, HostnameLabelsUpToDnsLimit) {
  Checker host(R"({"type":"string","format":"hostname"})");
  std::string label63 = "a" + std::string(61, 'b') + "c";
  EXPECT_TRUE(host("\"" + label63 + ".example\""));
  EXPECT_FALSE(host("\"" + label63 + "d.example\""));  // 64 characters: over RFC 1034's limit
  EXPECT_FALSE(host(R"("-a.example")"));
  Checker email(R"({"type":"string","format":"email"})");
  EXPECT_TRUE(email("\"x@" + label63 + ".org\""));
}

TEST(JsonSchemaConverterTest, RecursiveRefs) {
  Checker tree(R"({"$defs":{"n":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/n"}}},"required":["v"]}},"$ref":"#/$defs/n"})");
  EXPECT_TRUE(tree(R"({"v":1,"kids":[{"v":2},{"v":3,"kids":[{"v":4,"kids":[]}]}]})"));
  EXPECT_FALSE(tree(R"({"v":1,"kids":[{"w":2}]})"));
  Checker self(R"({"type":"object","properties":{"next":{"$ref":"#"}}})");
  EXPECT_TRUE(self(R"({"next":{"next":{}}})"));
  Checker defs(R"({"definitions":{"x":{"type":"integer"}},"type":"array","items":{"$ref":"#/definitions/x"}})");
  EXPECT_TRUE(defs("[1,2]"));
}

void ExpectError(std::string_view schema, std::string_view words) {
  auto g = JsonSchemaToGrammar(schema);
  ASSERT_FALSE(g.ok()) << schema;
  EXPECT_NE(g.status().message().find(words), std::string::npos) << g.status().message();
}

TEST(JsonSchemaConverterTest, BadSchemasNameTheProblem) {
  ExpectError("{", "not valid JSON");
  ExpectError(R"({"type":"strin"})", "unknown type 'strin'");
  ExpectError(R"({"not":{"type":"string"}})", "'not'");
  ExpectError(R"({"$ref":"#/$defs/missing"})", "points nowhere");
  ExpectError(R"({"$ref":"http://x/y.json"})", "only local $ref");
  ExpectError(R"J({"type":"string","pattern":"(?=a)"})J", "lookahead");
  ExpectError(R"({"type":"integer","minimum":5,"maximum":4})", "minimum");
  ExpectError(R"({"type":"array","minItems":3,"maxItems":2})", "minItems");
  ExpectError(R"(false)", "matches nothing");
  ExpectError(std::string(2000, '[') + std::string(2000, ']'), "nested");
}

TEST(JsonSchemaConverterTest, AnyJson) {
  auto g = AnyJsonGrammar(/*object_only=*/true);
  auto a = GrammarAutomaton::Build(g);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(testing::Accepts(*a, R"({"a":[1,2.5,"x",{"b":null}],"c":true})"));
  EXPECT_FALSE(testing::Accepts(*a, "[1]"));
  EXPECT_FALSE(testing::Accepts(*a, R"({"a":1)"));
}

}  // namespace
}  // namespace sgl::constrain
