#include "server/generate_request.h"

#include <gtest/gtest.h>

#include "testing/test_paths.h"

namespace sgl::server {
namespace {

class GenerateRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = Tokenizer::FromTokenizerJson(testing::SourcePath("tests/fixtures/models/llama/hf/tokenizer.json"));
    ASSERT_TRUE(t.ok()) << t.status().message();
    tokenizer_ = std::move(t).value();
  }
  Result<ParsedGenerate> Parse(const char* body, bool accepts_images = false) {
    return ParseGenerateRequest(Json::parse(body), *tokenizer_, [this] { return "rid" + std::to_string(next_++); },
                                accepts_images);
  }
  std::unique_ptr<Tokenizer> tokenizer_;
  int next_ = 0;
};

TEST_F(GenerateRequestTest, SinglePromptAsTextOrIds) {
  auto text = Parse(R"({"text": "hello world"})");
  ASSERT_TRUE(text.ok()) << text.status().message();
  ASSERT_EQ(text->items.size(), 1u);
  EXPECT_FALSE(text->is_batch);
  EXPECT_EQ(text->items[0].request.input_ids, tokenizer_->Encode("hello world", true));
  EXPECT_EQ(text->items[0].rid, "rid0");
  auto ids = Parse(R"({"input_ids": [1, 2, 3], "rid": "mine", "stream": true})");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->items[0].request.input_ids, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(ids->items[0].rid, "mine");
  EXPECT_TRUE(ids->stream);
}

TEST_F(GenerateRequestTest, BatchesTakePerItemOrSharedOptions) {
  auto r = Parse(R"({"input_ids": [[1, 2], [3]], "sampling_params": [{"max_new_tokens": 1}, {"max_new_tokens": 2}],
                     "return_logprob": [true, false], "top_logprobs_num": 3, "token_ids_logprob": [5, 6], "rid": "b"})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->items.size(), 2u);
  EXPECT_TRUE(r->is_batch);
  EXPECT_EQ(r->items[0].request.sampling.max_new_tokens, 1);
  EXPECT_EQ(r->items[1].request.sampling.max_new_tokens, 2);
  EXPECT_TRUE(r->items[0].request.logprob.return_logprob);
  EXPECT_FALSE(r->items[1].request.logprob.return_logprob);
  EXPECT_EQ(r->items[1].request.logprob.top_logprobs_num, 3);
  EXPECT_EQ(r->items[1].request.logprob.token_ids_logprob, (std::vector<int32_t>{5, 6}));
  EXPECT_EQ(r->items[0].rid, "b_0");
  EXPECT_EQ(r->items[1].rid, "b_1");
}

TEST_F(GenerateRequestTest, NSamplesPerPromptInOrder) {
  auto r = Parse(R"({"input_ids": [[1], [2]], "sampling_params": {"n": 2, "seed": 10}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->items.size(), 4u);
  EXPECT_EQ(r->items[1].request.input_ids, std::vector<int32_t>{1});
  EXPECT_EQ(r->items[2].request.input_ids, std::vector<int32_t>{2});
  EXPECT_EQ(r->items[0].request.sampling.seed, 10u);
  EXPECT_EQ(r->items[1].request.sampling.seed, 11u);  // samples differ, reproducibly
}

std::vector<std::string> Sources(const GenerationItem& item) {
  std::vector<std::string> out;
  for (const ImageInput& image : item.request.images) out.push_back(image.source);
  return out;
}

TEST_F(GenerateRequestTest, ImageDataAsSGLangReadsIt) {
  auto one = Parse(R"({"text": "a", "image_data": "x.png"})", true);
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(Sources(one->items[0]), (std::vector<std::string>{"x.png"}));
  auto several = Parse(R"({"text": "a", "image_data": ["x.png", "data:image/png;base64,AA"]})", true);
  ASSERT_TRUE(several.ok());
  EXPECT_EQ(Sources(several->items[0]), (std::vector<std::string>{"x.png", "data:image/png;base64,AA"}));
  auto batch = Parse(R"({"text": ["a", "b", "c"], "image_data": ["x.png", null, ["y.png", "z.png"]]})", true);
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  EXPECT_EQ(Sources(batch->items[0]), (std::vector<std::string>{"x.png"}));
  EXPECT_TRUE(batch->items[1].request.images.empty());
  EXPECT_EQ(Sources(batch->items[2]), (std::vector<std::string>{"y.png", "z.png"}));
  auto shared = Parse(R"({"text": ["a", "b"], "image_data": "x.png"})", true);
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(Sources(shared->items[1]), (std::vector<std::string>{"x.png"}));
  for (const char* bad : {R"({"text": ["a", "b"], "image_data": ["x.png"]})", R"({"text": "a", "image_data": 5})",
                          R"({"text": "a", "image_data": ["x.png", 5]})"}) {
    auto r = Parse(bad, true);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("image_data"), std::string::npos) << r.status().message();
  }
}

TEST_F(GenerateRequestTest, ErrorsSayWhatIsWrong) {
  struct Case {
    const char* body;
    const char* needle;
  };
  for (const Case& c : {Case{R"({})", "Either text, input_ids"}, Case{R"({"text": "a", "input_ids": [1]})", "Only one"},
                        Case{R"({"input_ids": []})", "empty"}, Case{R"({"input_ids": [[1], []]})", "input_ids[1]"},
                        Case{R"({"text": []})", "empty"},
                        Case{R"({"text": ["a", "b"], "sampling_params": [{}]})", "1 entries for 2 prompts"},
                        Case{R"({"text": "a", "rid": ["x", "y"]})", "rid"},
                        Case{R"({"text": ["a", "b"], "rid": ["x", "x"]})", "duplicate"},
                        Case{R"({"text": "a", "image_data": "x.png"})", "vision"},
                        Case{R"({"text": "a", "top_logprobs_num": -1})", "top_logprobs_num"},
                        Case{R"({"text": "a", "stream": "yes"})", "'stream' must be a boolean"},
                        Case{R"({"text": "a", "whatever": 1})", "whatever"}}) {
    auto r = Parse(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << c.body << " -> " << r.status().message();
  }
}

}  // namespace
}  // namespace sgl::server
