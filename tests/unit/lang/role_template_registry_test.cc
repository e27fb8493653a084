// The role templates against what SGLang's Python frontend does (fixture made by
// tests/fixtures/lang/make_role_templates.py from sglang 0.5.6.post1): the template a
// model path picks, and the prompt text a State builds from role expressions.
#include "lang/role_template_registry.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lang/fork_group.h"
#include "lang/state.h"
#include "lang/scripted_backend.h"
#include "testing/test_paths.h"

namespace sgl::lang {
namespace {

nlohmann::json Fixture() {
  return nlohmann::json::parse(testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/lang/role_templates.json")));
}

Expr RoleExpr(const std::string& role, const std::string& content) {
  if (role == "system") return lang::system(Expr(content));
  if (role == "user") return user(content);
  return assistant(content);
}

TEST(RoleTemplateRegistryTest, ModelPathsPickThePythonFrontendsTemplate) {
  const nlohmann::json f = Fixture();
  ASSERT_FALSE(f["paths"].empty());
  for (const auto& [path, name] : f["paths"].items()) {
    Result<RoleTemplate> t = RoleTemplateForModelPath(path);
    ASSERT_TRUE(t.ok()) << path << ": " << t.status().message();
    EXPECT_EQ(t->name, name.get<std::string>()) << path;
  }
}

TEST(RoleTemplateRegistryTest, StatesRenderRolesAsThePythonFrontend) {
  const nlohmann::json f = Fixture();
  ASSERT_FALSE(f["templates"].empty());
  for (const auto& [name, expected] : f["templates"].items()) {
    Result<RoleTemplate> t = FindRoleTemplate(name);
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(t->stop_str, expected["stop_str"].get<std::vector<std::string>>()) << name;
    EXPECT_EQ(t->image_token, expected["image_token"].get<std::string>()) << name;
    for (size_t c = 0; c < f["conversations"].size(); ++c) {
      RunOptions o;
      o.backend = std::make_shared<test::ScriptedBackend>("unused");
      o.role_template = name;
      State s = State::Create(o);
      for (const auto& m : f["conversations"][c]) s += RoleExpr(m["role"], m["content"]);
      ASSERT_TRUE(s.ok()) << s.status().message();
      EXPECT_EQ(s.text(), expected["prompts"][c].get<std::string>()) << name << " conversation " << c;
    }
  }
}

TEST(RoleTemplateRegistryTest, UnknownNamesAreErrors) {
  EXPECT_EQ(FindRoleTemplate("no-such-template").status().code(), StatusCode::kNotFound);
  RunOptions o;
  o.backend = std::make_shared<test::ScriptedBackend>("m");
  o.role_template = "no-such-template";
  EXPECT_FALSE(State::Create(o).ok());
}

}  // namespace
}  // namespace sgl::lang
