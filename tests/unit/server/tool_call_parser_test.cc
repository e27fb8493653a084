#include "server/tool_call_parser.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sgl::server {
namespace {

ToolCallParser Make(const std::string& name) {
  auto p = ToolCallParser::Create(name);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return std::move(p).value();
}

nlohmann::json Args(const ToolCall& c) { return nlohmann::json::parse(c.arguments); }

TEST(ToolCallParserTest, UnknownNameListsTheKnownOnes) {
  auto p = ToolCallParser::Create("nope");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("glm45"), std::string::npos);
}

TEST(ToolCallParserTest, Qwen25CallsAndTheTextAround) {
  const auto r = Make("qwen25").Parse(
      "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>\n"
      "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>");
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[0].name, "get_weather");
  EXPECT_EQ(Args(r.calls[0]), (nlohmann::json{{"city", "Paris"}, {"days", 2}}));
  EXPECT_EQ(r.calls[1].name, "get_time");
  EXPECT_EQ(Args(r.calls[1]), nlohmann::json::object());
  EXPECT_EQ(r.text, "Let me check.");
}

TEST(ToolCallParserTest, MalformedCallsStayText) {
  const std::string broken = "<tool_call>\n{\"name\": \"f\", \"arguments\": {\n</tool_call>";
  EXPECT_TRUE(Make("qwen25").Parse(broken).calls.empty());
  EXPECT_EQ(Make("qwen25").Parse(broken).text, broken);
  const std::string unclosed = "x <tool_call>{\"name\": \"f\"}";
  EXPECT_EQ(Make("qwen25").Parse(unclosed).text, unclosed);
  EXPECT_EQ(Make("qwen25").Parse("no calls here").text, "no calls here");
}

TEST(ToolCallParserTest, Glm45KeysAndTypedValues) {
  const auto r = Make("glm45").Parse(
      "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n"
      "<arg_key>days</arg_key>\n<arg_value>3</arg_value>\n<arg_key>units</arg_key>\n<arg_value>[\"c\"]</arg_value>\n</tool_call>");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].name, "get_weather");
  EXPECT_EQ(Args(r.calls[0]), (nlohmann::json{{"city", "Paris"}, {"days", 3}, {"units", {"c"}}}));
  EXPECT_EQ(r.text, "");
  EXPECT_TRUE(Make("glm45").Parse("<tool_call>f\n<arg_key>a</arg_key>\n</tool_call>").calls.empty());
}

TEST(ToolCallParserTest, Llama3JsonCallsWithOrWithoutPythonTag) {
  const auto r = Make("llama3").Parse("<|python_tag|>{\"name\": \"a\", \"parameters\": {\"x\": \"1;2\"}}; {\"name\": \"b\", \"parameters\": {}}");
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[0].name, "a");
  EXPECT_EQ(Args(r.calls[0]), (nlohmann::json{{"x", "1;2"}}));
  EXPECT_EQ(r.calls[1].name, "b");
  const auto bare = Make("llama3").Parse(" {\"name\": \"a\", \"parameters\": {\"k\": true}}");
  ASSERT_EQ(bare.calls.size(), 1u);
  EXPECT_EQ(Make("llama3").Parse("{not json").text, "{not json");
  EXPECT_TRUE(Make("llama3").Parse("Just words.").calls.empty());
  EXPECT_EQ(Make("llama3").Parse("Words <|python_tag|>").text, "Words <|python_tag|>");  // found by the fuzzer
}

TEST(ToolCallParserTest, MistralArray) {
  const auto r = Make("mistral").Parse("Sure. [TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"n\": 1}}]");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].name, "f");
  EXPECT_EQ(r.text, "Sure.");
}

TEST(ToolCallParserTest, JsonArrayIsTheWholeOutput) {
  const ToolCallParser p = Make("json_array");
  const auto r = p.Parse(" [{\"name\": \"f\", \"parameters\": {\"a\": [1]}}, {\"name\": \"g\", \"parameters\": {}}]");
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(Args(r.calls[0]), (nlohmann::json{{"a", {1}}}));
  EXPECT_EQ(r.calls[1].name, "g");
  EXPECT_TRUE(p.Parse("[]").calls.empty());
  EXPECT_TRUE(p.Parse("[{\"parameters\": {}}]").calls.empty());
  EXPECT_EQ(p.HeldBackFrom("[{\"na"), 0u);
}

TEST(ToolCallParserTest, StreamingHoldsBackFromAPossibleCallStart) {
  const ToolCallParser p = Make("qwen25");
  EXPECT_EQ(p.HeldBackFrom("plain text"), 10u);
  EXPECT_EQ(p.HeldBackFrom("plain <tool"), 6u);
  EXPECT_EQ(p.HeldBackFrom("a <tool_call>\n{\"na"), 2u);
  EXPECT_EQ(p.HeldBackFrom("a <b>"), 5u);
  EXPECT_EQ(Make("llama3").HeldBackFrom("{\"name"), 0u);
  EXPECT_EQ(Make("llama3").HeldBackFrom("hello"), 5u);
}

}  // namespace
}  // namespace sgl::server
