// Constrained gen through the frontend language on the real model: each value matches its
// regex / parses as JSON.
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lang/lang_model_fixture.h"
#include "lang/state.h"

namespace sgl::lang {
namespace {

class RegexGenTest : public test::LangModelTest {};

TEST_F(RegexGenTest, ValuesMatchTheirRegex) {
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"year", "(19|20)[0-9]{2}"}, {"name", "[A-Z][a-z]+ [A-Z][a-z]+"}, {"rating", "[1-5]"}, {"flag", "(yes|no)"}};
  State s = State::Create(Options());
  s += "The film Casablanca was released in 1942 and directed by Michael Curtiz. I rate it 5 out of 5.\n";
  for (const auto& [name, regex] : fields)
    s += name + ": " + gen(name, {.max_tokens = 16, .temperature = 0, .regex = regex}) + "\n";
  ASSERT_TRUE(s.ok()) << s.status().message();
  for (const auto& [name, regex] : fields)
    EXPECT_TRUE(std::regex_match(s[name].str(), std::regex(regex))) << name << " = '" << s[name].str() << "'";
}

TEST_F(RegexGenTest, JsonSchemaValuesParse) {
  State s = State::Create(Options());
  s += "A person as JSON: " + gen("person", {.max_tokens = 48, .temperature = 0,
                                             .json_schema = R"({"type":"object","properties":{"name":{"type":"string"},)"
                                                            R"("age":{"type":"integer"}},"required":["name","age"]})"});
  ASSERT_TRUE(s.ok()) << s.status().message();
  const auto j = nlohmann::json::parse(s["person"].str(), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << s["person"].str();
  EXPECT_TRUE(j["name"].is_string());
  EXPECT_TRUE(j["age"].is_number_integer());
}

}  // namespace
}  // namespace sgl::lang
