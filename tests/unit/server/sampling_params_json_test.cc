#include "server/sampling_params_json.h"

#include <gtest/gtest.h>

namespace sgl::server {
namespace {

Result<SamplingRequest> Parse(const char* text) {
  const Json j = Json::parse(text);
  return ParseSamplingParams(&j, "sampling_params", 1000);
}

TEST(SamplingParamsJsonTest, DefaultsAreSGLangs) {
  auto r = ParseSamplingParams(nullptr, "sampling_params", 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->params.max_new_tokens, 128);
  EXPECT_EQ(r->params.temperature, 1.0f);
  EXPECT_EQ(r->params.top_k, -1);
  EXPECT_TRUE(r->params.skip_special_tokens);
  EXPECT_EQ(r->n, 1);
  auto nulls = Parse(R"({"max_new_tokens": null, "stop": null, "temperature": null})");
  ASSERT_TRUE(nulls.ok());
  EXPECT_EQ(nulls->params.max_new_tokens, 128);
}

TEST(SamplingParamsJsonTest, ReadsEveryField) {
  auto r = Parse(R"({"max_new_tokens": 5, "min_new_tokens": 2, "temperature": 0.5, "top_p": 0.9, "top_k": 4,
                     "min_p": 0.1, "frequency_penalty": 0.5, "presence_penalty": -0.5, "repetition_penalty": 1.2,
                     "stop": "END", "stop_token_ids": [7], "ignore_eos": true, "skip_special_tokens": false,
                     "spaces_between_special_tokens": false, "no_stop_trim": true, "n": 3,
                     "logit_bias": {"12": -5.5}, "seed": 9})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const SamplingParams& p = r->params;
  EXPECT_EQ(p.max_new_tokens, 5);
  EXPECT_EQ(p.min_new_tokens, 2);
  EXPECT_FLOAT_EQ(p.temperature, 0.5f);
  EXPECT_FLOAT_EQ(p.top_p, 0.9f);
  EXPECT_EQ(p.top_k, 4);
  EXPECT_FLOAT_EQ(p.min_p, 0.1f);
  EXPECT_FLOAT_EQ(p.frequency_penalty, 0.5f);
  EXPECT_FLOAT_EQ(p.presence_penalty, -0.5f);
  EXPECT_FLOAT_EQ(p.repetition_penalty, 1.2f);
  EXPECT_EQ(p.stop, std::vector<std::string>{"END"});
  EXPECT_EQ(p.stop_token_ids, std::vector<int32_t>{7});
  EXPECT_TRUE(p.ignore_eos);
  EXPECT_FALSE(p.skip_special_tokens);
  EXPECT_FALSE(p.spaces_between_special_tokens);
  EXPECT_TRUE(p.no_stop_trim);
  EXPECT_EQ(r->n, 3);
  EXPECT_EQ(p.logit_bias.at(12), -5.5f);
  EXPECT_EQ(p.seed, 9u);
}

TEST(SamplingParamsJsonTest, RangesAreCheckedLikeSGLang) {
  for (const char* bad : {R"({"temperature": -0.1})", R"({"top_p": 0})", R"({"top_p": 1.5})", R"({"min_p": 2})",
                          R"({"top_k": 0})", R"({"frequency_penalty": 3})", R"({"presence_penalty": -3})",
                          R"({"repetition_penalty": 0})", R"({"max_new_tokens": -1})",
                          R"({"min_new_tokens": 10, "max_new_tokens": 5})", R"({"logit_bias": {"5000": 1}})",
                          R"({"logit_bias": {"x": 1}})", R"({"stop_token_ids": [1000]})", R"({"n": 0})",
                          R"({"unknown_field": 1})", R"({"regex": "a", "json_schema": "{}"})"}) {
    auto r = Parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  auto r = Parse(R"({"top_k": 0})");
  EXPECT_NE(r.status().message().find("sampling_params.top_k"), std::string::npos) << r.status().message();
}

TEST(SamplingParamsJsonTest, ReadsOneConstraint) {
  auto regex = Parse(R"({"regex": "[0-9]+", "json_schema": "", "ebnf": null, "stop_regex": []})");
  ASSERT_TRUE(regex.ok()) << regex.status().message();
  EXPECT_EQ(regex->params.regex, "[0-9]+");
  EXPECT_FALSE(regex->params.json_schema || regex->params.ebnf);
  auto schema_object = Parse(R"({"json_schema": {"type": "integer"}})");
  ASSERT_TRUE(schema_object.ok());
  EXPECT_EQ(Json::parse(*schema_object->params.json_schema), Json::parse(R"({"type": "integer"})"));
  auto ebnf = Parse(R"({"ebnf": "root ::= \"x\""})");
  ASSERT_TRUE(ebnf.ok());
  EXPECT_EQ(ebnf->params.ebnf, "root ::= \"x\"");
  for (const char* bad : {R"({"regex": 5})", R"({"ebnf": {"x": 1}})", R"({"json_schema": 1})",
                          R"({"structural_tag": "{}"})", R"({"stop_regex": "x"})", R"({"regex": "a", "ebnf": "b"})"}) {
    auto r = Parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  auto tag = Parse(R"({"structural_tag": "{}"})");
  EXPECT_NE(tag.status().message().find("structural_tag"), std::string::npos) << tag.status().message();
}

}  // namespace
}  // namespace sgl::server
