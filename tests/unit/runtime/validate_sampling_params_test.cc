// Each sampling parameter's range check rejects a bad value and names the field.
#include "runtime/validate_sampling_params.h"

#include <cmath>
#include <functional>

#include <gtest/gtest.h>

namespace sgl {
namespace {

TEST(ValidateSamplingParamsTest, DefaultsAndGreedyAreValid) {
  EXPECT_TRUE(ValidateSamplingParams({}).ok());
  SamplingParams p;
  p.temperature = 0;
  p.top_k = 1;
  EXPECT_TRUE(ValidateSamplingParams(p).ok());
}

TEST(ValidateSamplingParamsTest, EachBadValueNamesItsField) {
  const std::vector<std::pair<std::string, std::function<void(SamplingParams&)>>> cases = {
      {"temperature", [](SamplingParams& p) { p.temperature = -0.5f; }},
      {"temperature", [](SamplingParams& p) { p.temperature = NAN; }},
      {"top_p", [](SamplingParams& p) { p.top_p = 0; }},
      {"top_p", [](SamplingParams& p) { p.top_p = 1.5f; }},
      {"top_k", [](SamplingParams& p) { p.top_k = 0; }},
      {"min_p", [](SamplingParams& p) { p.min_p = -0.1f; }},
      {"frequency_penalty", [](SamplingParams& p) { p.frequency_penalty = 3; }},
      {"presence_penalty", [](SamplingParams& p) { p.presence_penalty = -3; }},
      {"repetition_penalty", [](SamplingParams& p) { p.repetition_penalty = 0; }},
      {"max_new_tokens", [](SamplingParams& p) { p.max_new_tokens = -1; }},
      {"min_new_tokens", [](SamplingParams& p) { p.min_new_tokens = p.max_new_tokens + 1; }},
      {"logit_bias", [](SamplingParams& p) { p.logit_bias[3] = INFINITY; }},
  };
  for (const auto& [field, spoil] : cases) {
    SamplingParams p;
    spoil(p);
    const Status s = ValidateSamplingParams(p);
    ASSERT_FALSE(s.ok()) << field;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(field), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace sgl
