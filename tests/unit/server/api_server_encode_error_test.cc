// A failed vision encode answers as an error, as SGLang answers a request it aborts with a
// status code: the ApiServer over the tiny GLM-4.1V fixture, whose encoder fails by the
// engine's before_vision_encode hook, answers /generate and /v1/chat/completions with
// HTTP 500 and the encoder's message, and a streamed request with the error event, then
// [DONE]. The handler runs in process with a recording HttpExchange (no sockets).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "multimodal/vision_fixtures.h"
#include "server/api_server.h"
#include "testing/test_paths.h"

namespace sgl::server {
namespace {

using ::testing::HasSubstr;

// Records the answer; ready once it is complete.
class RecordingExchange final : public HttpExchange {
 public:
  void AddHeader(std::string, std::string) override {}
  void Reply(int status, std::string, std::string body, std::map<std::string, std::string>) override {
    status_ = status;
    body_ = std::move(body);
    done_.set_value();
  }
  void StartStream(int status, std::string) override { status_ = status; }
  void WriteChunk(std::string data) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    body_ += data;
  }
  void EndStream() override { done_.set_value(); }
  void OnDisconnect(std::function<void()>) override {}
  void Post(std::function<void()> fn) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);  // one at a time, as a strand runs them
    fn();
  }

  // The status and body once answered, or nullopt after a generous wait.
  std::optional<std::pair<int, std::string>> Wait() {
    if (done_future_.wait_for(std::chrono::seconds(120)) != std::future_status::ready) return std::nullopt;
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return std::make_pair(status_, body_);
  }

 private:
  std::recursive_mutex mu_;
  int status_ = 0;
  std::string body_;
  std::promise<void> done_;
  std::future<void> done_future_ = done_.get_future();
};

class EncodeErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    args_.engine.device = "cpu";
    args_.engine.model_path = testing::SourcePath("tests/fixtures/models/glm4v/hf");
    args_.engine.num_threads = 2;
    args_.engine.max_total_tokens = 4096;
    args_.engine.before_vision_encode = [] { return Status(StatusCode::kInternal, "injected encoder failure"); };
    auto engine = Engine::Create(args_.engine);
    ASSERT_TRUE(engine.ok()) << engine.status().message();
    engine_ = std::move(engine).value();
    auto api = ApiServer::Create(*engine_, args_);
    ASSERT_TRUE(api.ok()) << api.status().message();
    api_ = std::move(api).value();
  }

  std::pair<int, std::string> Post(const std::string& path, const Json& body) {
    HttpRequest request;
    request.method = "POST";
    request.path = path;
    request.headers = {{"content-type", "application/json"}};
    request.body = body.dump();
    auto exchange = std::make_shared<RecordingExchange>();
    api_->Handle(std::move(request), exchange);
    auto answer = exchange->Wait();
    EXPECT_TRUE(answer.has_value()) << path << " never answered";
    return answer.value_or(std::make_pair(0, std::string()));
  }

  static std::string Image() {
    return "file://" + multimodal::test::PreprocessFixturePath("src_97x61.png");
  }

  static Json GenerateBody(bool stream) {
    return Json{{"text", "[gMASK]<sop><|user|>\n<|begin_of_image|><|image|><|end_of_image|>Hi<|assistant|>\n"},
                {"image_data", Image()},
                {"stream", stream},
                {"sampling_params", {{"max_new_tokens", 2}}}};
  }

  ServerArgs args_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ApiServer> api_;
};

TEST_F(EncodeErrorTest, GenerateAnswers500WithTheEncoderMessage) {
  auto [status, body] = Post("/generate", GenerateBody(false));
  EXPECT_EQ(status, 500) << body;
  EXPECT_THAT(body, HasSubstr("injected encoder failure"));
  EXPECT_THAT(body, HasSubstr("image 0"));
}

TEST_F(EncodeErrorTest, AStreamGetsTheErrorEventThenDone) {
  auto [status, body] = Post("/generate", GenerateBody(true));
  EXPECT_EQ(status, 200);  // the stream had started
  const size_t error = body.find("data: {\"error\"");
  ASSERT_NE(error, std::string::npos) << body;
  EXPECT_THAT(body.substr(error), HasSubstr("injected encoder failure"));
  EXPECT_NE(body.find("data: [DONE]", error), std::string::npos) << body;
}

TEST_F(EncodeErrorTest, ChatCompletionsAnswers500WithTheEncoderMessage) {
  const Json body{{"model", "default"},
                  {"max_tokens", 2},
                  {"messages", Json::array({{{"role", "user"},
                                             {"content", Json::array({{{"type", "image_url"}, {"image_url", {{"url", Image()}}}},
                                                                      {{"type", "text"}, {"text", "Hi"}}})}}})}};
  auto [status, answer] = Post("/v1/chat/completions", body);
  EXPECT_EQ(status, 500) << answer;
  EXPECT_THAT(answer, HasSubstr("injected encoder failure"));
}

}  // namespace
}  // namespace sgl::server
