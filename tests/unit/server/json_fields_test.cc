#include "server/json_fields.h"

#include <gtest/gtest.h>

namespace sgl::server {
namespace {

TEST(JsonFieldsTest, MissingAndNullKeepDefaults) {
  const Json j = Json::parse(R"({"a": null})");
  const JsonFields f(j, "");
  int a = 7, b = 8;
  ASSERT_TRUE(f.Read("a", a).ok());
  ASSERT_TRUE(f.Read("b", b).ok());
  EXPECT_EQ(a, 7);
  EXPECT_EQ(b, 8);
}

TEST(JsonFieldsTest, WrongTypesNameTheFieldWithItsPath) {
  const Json j = Json::parse(R"({"n": "two", "t": [1], "ids": [1, 2.5], "big": 1e40})");
  const JsonFields f(j, "sampling_params");
  int n = 0;
  Status s = f.Read("n", n);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'sampling_params.n' must be an integer, got a string"), std::string::npos) << s.message();
  float t = 0;
  EXPECT_NE(f.Read("t", t).message().find("sampling_params.t"), std::string::npos);
  std::vector<int32_t> ids;
  EXPECT_NE(f.Read("ids", ids).message().find("sampling_params.ids[1]"), std::string::npos);
  int64_t big = 0;
  EXPECT_FALSE(f.Read("big", big).ok());
}

TEST(JsonFieldsTest, IntegersMayBeWrittenAsWholeFloats) {
  const Json j = Json::parse(R"({"a": 3.0, "b": 3.5})");
  const JsonFields f(j, "");
  int a = 0, b = 0;
  ASSERT_TRUE(f.Read("a", a).ok());
  EXPECT_EQ(a, 3);
  EXPECT_FALSE(f.Read("b", b).ok());
}

TEST(JsonFieldsTest, StringOrListOfStrings) {
  const Json j = Json::parse(R"({"one": "x", "two": ["x", "y"], "bad": ["x", 1]})");
  const JsonFields f(j, "");
  std::vector<std::string> v;
  ASSERT_TRUE(f.Read("one", v).ok());
  EXPECT_EQ(v, std::vector<std::string>{"x"});
  ASSERT_TRUE(f.Read("two", v).ok());
  EXPECT_EQ(v, (std::vector<std::string>{"x", "y"}));
  EXPECT_NE(f.Read("bad", v).message().find("bad[1]"), std::string::npos);
}

TEST(JsonFieldsTest, ParseObjectRefusesNonObjectsAndBadJson) {
  EXPECT_TRUE(JsonFields::ParseObject("{}").ok());
  EXPECT_FALSE(JsonFields::ParseObject("[]").ok());
  EXPECT_FALSE(JsonFields::ParseObject("{").ok());
  EXPECT_FALSE(JsonFields::ParseObject("").ok());
  EXPECT_FALSE(JsonFields::ParseObject("\xff").ok());
}

}  // namespace
}  // namespace sgl::server
