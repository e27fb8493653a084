// Images written inline in role text ("<image>path-or-url</image>", as deployment guides
// write them) reach the backend exactly as image(...) does: the same prompt text, the
// same base64 data, the same messages; bad tags and unreadable images are errors.
#include "lang/inline_images.h"

#include <gtest/gtest.h>

#include "lang/base64.h"
#include "lang/scripted_backend.h"
#include "lang/state.h"
#include "testing/temp_dir.h"

namespace sgl::lang {
namespace {

const std::string_view kPng("\x89PNG fake bytes", 15);

struct ImageChat {
  std::shared_ptr<test::ScriptedBackend> backend = std::make_shared<test::ScriptedBackend>("/m/SmolLM2-135M-Instruct");
  State state;
  explicit ImageChat(const Expr& user_content)
      : state(State::Create({.backend = backend})) {
    backend->answers = {"{\"a\": 1}"};
    state += lang::system("Answer in JSON.") + user(user_content) + assistant(gen("json"));
  }
};

TEST(InlineImagesTest, InlineImageReachesTheBackendLikeImage) {
  sgl::test::TempDir dir;
  const std::string path = dir.Write("photo.png", kPng);
  ImageChat inline_run("Describe <image>" + path + "</image> as JSON.");
  ImageChat image_run("Describe " + image(path) + " as JSON.");
  ASSERT_TRUE(inline_run.state.ok()) << inline_run.state.status().message();
  ASSERT_TRUE(image_run.state.ok()) << image_run.state.status().message();
  ASSERT_EQ(inline_run.backend->prompts.size(), 1u);
  ASSERT_EQ(image_run.backend->prompts.size(), 1u);
  EXPECT_EQ(inline_run.backend->prompts[0].text, image_run.backend->prompts[0].text);
  EXPECT_EQ(inline_run.backend->prompts[0].images_base64, image_run.backend->prompts[0].images_base64);
  EXPECT_EQ(inline_run.backend->prompts[0].images_base64, std::vector<std::string>{Base64Encode(kPng)});
  EXPECT_EQ(inline_run.state.text(), image_run.state.text());
  EXPECT_EQ(inline_run.state.text().find(path), std::string::npos);  // the path is not prompt text
  ASSERT_EQ(inline_run.state.messages().size(), image_run.state.messages().size());
  EXPECT_EQ(inline_run.state.messages()[1].content, image_run.state.messages()[1].content);
  EXPECT_EQ(inline_run.state.messages()[1].images_base64, image_run.state.messages()[1].images_base64);
}

TEST(InlineImagesTest, DataUrlsAndSeveralImages) {
  sgl::test::TempDir dir;
  const std::string path = dir.Write("a.png", kPng);
  const std::string url = "data:image/png;base64," + Base64Encode("second image");
  ImageChat r("<image> " + path + " </image>and<image>" + url + "</image>");
  ASSERT_TRUE(r.state.ok()) << r.state.status().message();
  EXPECT_EQ(r.backend->prompts[0].images_base64,
            (std::vector<std::string>{Base64Encode(kPng), Base64Encode("second image")}));
}

TEST(InlineImagesTest, SplitKeepsTheTextAround) {
  const std::string url = "data:image/png;base64," + Base64Encode("x");
  std::vector<Node> nodes = SplitInlineImages("before <image>" + url + "</image> after");
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(std::get<node::Text>(nodes[0]).value, "before ");
  EXPECT_EQ(std::get<node::Image>(nodes[1]).bytes, "x");
  EXPECT_EQ(std::get<node::Text>(nodes[2]).value, " after");
  nodes = SplitInlineImages("no tags here");
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(std::get<node::Text>(nodes[0]).value, "no tags here");
}

TEST(InlineImagesTest, BadTagsAndMissingImagesAreErrors) {
  sgl::test::TempDir dir;
  for (const std::string& content : {std::string("Look: <image>") + dir.PathOf("a.png"),  // unclosed
                                     std::string("Look: <image></image>"),                 // empty
                                     "Look: <image>" + dir.PathOf("absent.png") + "</image>",
                                     std::string("Look: <image>data:image/png;base64,@@@</image>")}) {
    ImageChat r(content);
    EXPECT_FALSE(r.state.ok()) << content;
    EXPECT_TRUE(r.backend->prompts.empty()) << content;  // nothing was sent
  }
}

TEST(InlineImagesTest, OutsideRolesTheTagIsPlainText) {
  auto backend = std::make_shared<test::ScriptedBackend>("/m/x");
  State s = State::Create({.backend = backend});
  s += "Raw <image>not-a-file</image> text";
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s.text(), "Raw <image>not-a-file</image> text");
}

}  // namespace
}  // namespace sgl::lang
