#include "lang/gen_sampling.h"

#include <gtest/gtest.h>

namespace sgl::lang {
namespace {

TEST(GenSamplingTest, GenOptionsOverrideTheDefaultsAndTemplateStopsAreAdded) {
  SamplingParams defaults;
  defaults.max_new_tokens = 64;
  defaults.top_k = 5;
  defaults.stop = {"END"};
  SamplingParams p = ResolveGenSampling(defaults, {.max_tokens = 7, .temperature = 0.5f, .regex = "[0-9]+"}, {"<|eot|>"});
  EXPECT_EQ(p.max_new_tokens, 7);
  EXPECT_EQ(p.temperature, 0.5f);
  EXPECT_EQ(p.top_k, 5);
  EXPECT_EQ(p.stop, (std::vector<std::string>{"END", "<|eot|>"}));
  EXPECT_EQ(p.regex, "[0-9]+");
  EXPECT_FALSE(p.json_schema);
  SamplingParams q = ResolveGenSampling(defaults, {.stop = {"."}, .json_schema = "{}"}, {});
  EXPECT_EQ(q.stop, std::vector<std::string>{"."});
  EXPECT_EQ(q.json_schema, "{}");
  EXPECT_EQ(q.max_new_tokens, 64);
}

}  // namespace
}  // namespace sgl::lang
