// ChatTemplate against goldens rendered by transformers' own Jinja2 environment
// (tests/fixtures/chat_templates/make_golden.py): real and model-style templates over
// several conversations, feature snippets, and error cases; plus syntax errors with
// positions and the runaway-template limits.
#include "tokenizer/chat_template/chat_template.h"

#include <gtest/gtest.h>

#include "testing/test_paths.h"

namespace sgl {
namespace {

using nlohmann::ordered_json;

ordered_json LoadJson(const std::string& relative) {
  std::string text = testing::ReadFileOrEmpty(testing::SourcePath(relative));
  EXPECT_FALSE(text.empty()) << relative;
  return ordered_json::parse(text);
}

std::string TemplateSource(const std::string& name) {
  return testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/chat_templates/templates/" + name + ".jinja"));
}

// Checks one golden: the same output byte for byte, or an error where jinja2 raised
// (ours may come at parse time: include/extends have no loader in transformers either).
void ExpectGolden(const std::string& source, const ordered_json& context, const ordered_json& golden) {
  Result<ChatTemplate> tmpl = ChatTemplate::Parse(source);
  if (!tmpl.ok() && golden.contains("error")) return;
  ASSERT_TRUE(tmpl.ok()) << tmpl.status().message();
  Result<std::string> out = tmpl->Render(context);
  if (golden.contains("output")) {
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_EQ(*out, golden["output"].get<std::string>());
  } else {
    EXPECT_FALSE(out.ok()) << "jinja2 raised " << golden["error"] << " but we rendered:\n" << *out;
  }
}

// Sets SOURCE_DATE_EPOCH (strftime_now's pinned clock) for its lifetime.
class PinnedClock {
 public:
  explicit PinnedClock(const char* epoch) { setenv("SOURCE_DATE_EPOCH", epoch, 1); }
  ~PinnedClock() { unsetenv("SOURCE_DATE_EPOCH"); }
};

TEST(ChatTemplateTest, RealTemplatesMatchJinja2) {
  // The goldens' date (templates that print today's date): make_golden.py's pinned clock.
  const PinnedClock clock("1795608000");  // 2026-11-25 12:00 UTC
  ordered_json goldens = LoadJson("tests/fixtures/chat_templates/goldens.json");
  ordered_json conversations = LoadJson("tests/fixtures/chat_templates/conversations.json");
  ASSERT_GE(goldens["cases"].size(), 80u);
  for (const auto& c : goldens["cases"]) {
    std::string name = c["template"].get<std::string>();
    std::string conversation = c["conversation"].get<std::string>();
    SCOPED_TRACE(name + " x " + conversation);
    ExpectGolden(TemplateSource(name), conversations[conversation], c);
  }
}

TEST(ChatTemplateTest, FeatureSnippetsMatchJinja2) {
  ordered_json goldens = LoadJson("tests/fixtures/chat_templates/goldens.json");
  ASSERT_GE(goldens["snippets"].size(), 40u);
  for (const auto& s : goldens["snippets"]) {
    SCOPED_TRACE(s["template"].get<std::string>());
    ExpectGolden(s["template"].get<std::string>(), s["context"], s);
  }
}

TEST(ChatTemplateTest, ErrorSnippetsFailLikeJinja2) {
  ordered_json goldens = LoadJson("tests/fixtures/chat_templates/goldens.json");
  for (const auto& s : goldens["errors"]) {
    SCOPED_TRACE(s["template"].get<std::string>());
    ExpectGolden(s["template"].get<std::string>(), s["context"], s);
  }
}

TEST(ChatTemplateTest, RaiseExceptionCarriesTheMessage) {
  auto tmpl = ChatTemplate::Parse("{% if messages|length == 0 %}{{ raise_exception('No messages given!') }}{% endif %}");
  ASSERT_TRUE(tmpl.ok());
  auto out = tmpl->Render(nlohmann::json{{"messages", nlohmann::json::array()}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("No messages given!"), std::string::npos) << out.status().message();
}

TEST(ChatTemplateTest, SyntaxErrorsNameLineAndColumn) {
  struct Case {
    const char* source;
    const char* where;
  };
  for (const Case& c : {Case{"ok\n{% if x %}\nno end", "line 3"}, Case{"{{ 1 + }}", "line 1, column 8"},
                        Case{"a\n\n  {% for %}{% endfor %}", "line 3, column 10"}, Case{"{{ 'unterminated }}", "line 1, column 4"},
                        Case{"{% endif %}", "line 1"}, Case{"{% include 'x' %}", "line 1"}, Case{"{{ x", "line 1"},
                        Case{"{# open comment", "line 1"}, Case{"{{ (1, 2] }}", "line 1, column 9"},
                        Case{"{% break %}", "line 1"}}) {
    auto tmpl = ChatTemplate::Parse(c.source);
    ASSERT_FALSE(tmpl.ok()) << c.source;
    EXPECT_NE(tmpl.status().message().find(c.where), std::string::npos) << c.source << " -> " << tmpl.status().message();
  }
}

TEST(ChatTemplateTest, RuntimeErrorsNameTheLine) {
  auto tmpl = ChatTemplate::Parse("line one\n{{ messages[0].content.oops }}\n{{ undefined_thing.attr }}");
  ASSERT_TRUE(tmpl.ok());
  auto out = tmpl->Render(nlohmann::json{{"messages", nlohmann::json::array({{{"content", "x"}}})}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("line 3"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("undefined_thing"), std::string::npos) << out.status().message();
}

TEST(ChatTemplateTest, RunawayTemplatesHitLimits) {
  jinja::RenderLimits limits;
  limits.max_steps = 1'000'000;
  limits.max_output_bytes = 1 << 20;
  const char* runaway[] = {
      "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
      "{% for a in range(100000000) %}x{% endfor %}",
      "{{ 'x' * 100000000 }}",
      "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
      "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
      "{% for i in range(1000000) %}{{ 'abcdefgh' * 100 }}{% endfor %}",
  };
  for (const char* source : runaway) {
    auto tmpl = ChatTemplate::Parse(source, limits);
    ASSERT_TRUE(tmpl.ok()) << source << ": " << tmpl.status().message();
    auto out = tmpl->Render(nlohmann::json::object());
    EXPECT_FALSE(out.ok()) << source;
  }
}

TEST(ChatTemplateTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep_expr = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  EXPECT_FALSE(ChatTemplate::Parse(deep_expr).ok());
  std::string deep_not = "{{ " + std::string(0, ' ');
  for (int i = 0; i < 5000; ++i) deep_not += "not ";
  EXPECT_FALSE(ChatTemplate::Parse(deep_not + "x }}").ok());
  std::string deep_if;
  for (int i = 0; i < 5000; ++i) deep_if += "{% if x %}";
  EXPECT_FALSE(ChatTemplate::Parse(deep_if).ok());
  std::string deep_minus = "{{ " + std::string(5000, '-') + "1 }}";
  EXPECT_FALSE(ChatTemplate::Parse(deep_minus).ok());
}

TEST(ChatTemplateTest, DeeplyNestedInputIsAnError) {
  auto tmpl = ChatTemplate::Parse("{{ messages|length }}");
  ASSERT_TRUE(tmpl.ok());
  nlohmann::json deep = nlohmann::json::array();
  for (int i = 0; i < 1000; ++i) deep = nlohmann::json::array({deep});
  EXPECT_FALSE(tmpl->Render(nlohmann::json{{"messages", deep}}).ok());
  auto ok = tmpl->Render(nlohmann::json{{"messages", {1, 2}}});
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(*ok, "2");
}

TEST(ChatTemplateTest, LongConversationFitsTheDefaultLimits) {
  auto tmpl = ChatTemplate::Parse(TemplateSource("qwen3"));
  ASSERT_TRUE(tmpl.ok()) << tmpl.status().message();
  ordered_json context = {{"messages", ordered_json::array()}, {"add_generation_prompt", true}};
  const std::string text(2000, 'w');
  for (int i = 0; i < 2000; ++i) {
    context["messages"].push_back({{"role", i % 2 == 0 ? "user" : "assistant"}, {"content", text}});
  }
  auto out = tmpl->Render(context);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_GT(out->size(), 2000u * 2000u);
}

TEST(ChatTemplateTest, StrftimeNowFormatsTheCurrentDate) {
  auto tmpl = ChatTemplate::Parse("{{ strftime_now('%Y-%m-%d') }}");
  ASSERT_TRUE(tmpl.ok());
  auto out = tmpl->Render(nlohmann::json::object());
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->size(), 10u);
  EXPECT_EQ((*out)[4], '-');
}

TEST(ChatTemplateTest, PlainJsonContextWorksAndNonObjectIsAnError) {
  auto tmpl = ChatTemplate::Parse("{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}");
  ASSERT_TRUE(tmpl.ok());
  nlohmann::json context = {{"bos_token", "<s>"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  auto out = tmpl->Render(context);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, "<s>user:hi;");
  EXPECT_FALSE(tmpl->Render(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace sgl
