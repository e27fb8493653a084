// The Engine's vision encoder runs on its own thread, beside the scheduler: on the tiny
// GLM-4.1V fixture (CPU) with the before_vision_encode hook holding an encode at a gate
// the test opens (a deterministic "long encode"), a text request submitted meanwhile
// finishes first; the held request then gives transformers' greedy tokens. A constrained
// image request compiles, then encodes once. An encoder
// failure fails its request with the message; aborting a request that waits for its
// encode, or shutting the engine down with encodes queued, finishes every request.
// Requests waiting for their encode count as queued (--max-queued-requests).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "multimodal/glm4v_fixture.h"
#include "multimodal/vision_fixtures.h"
#include "server/api_context.h"
#include "sgl/engine.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

using ::testing::HasSubstr;

constexpr auto kPatience = std::chrono::seconds(120);  // a bound for failing, never a synchronization

// Holds every encode until Open(); WaitStarted() says whether an encode is held.
class EncodeGate {
 public:
  std::function<Status()> Hook() {
    return [this] {
      if (!started_set_.exchange(true)) started_.set_value();
      open_.wait();
      return Status::Ok();
    };
  }
  bool WaitStarted() { return started_future_.wait_for(kPatience) == std::future_status::ready; }
  void Open() {
    if (!opened_.exchange(true)) open_promise_.set_value();
  }

 private:
  std::atomic<bool> started_set_{false};
  std::atomic<bool> opened_{false};
  std::promise<void> started_;
  std::future<void> started_future_ = started_.get_future();
  std::promise<void> open_promise_;
  std::shared_future<void> open_ = open_promise_.get_future().share();
};

std::unique_ptr<Engine> Glm4vEngine(std::function<Status()> before_encode) {
  EngineOptions o;
  o.device = "cpu";
  o.model_path = testing::SourcePath("tests/fixtures/models/glm4v/hf");
  o.num_threads = 2;
  o.max_total_tokens = 1024;
  o.before_vision_encode = std::move(before_encode);
  auto engine = Engine::Create(o);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return engine.ok() ? std::move(engine).value() : nullptr;
}

// An engine whose encodes wait at `gate`; the gate opens before the engine goes, also
// when a failed assertion leaves a test early.
struct GatedEngine {
  EncodeGate gate;
  std::unique_ptr<Engine> engine = Glm4vEngine(gate.Hook());
  ~GatedEngine() {
    gate.Open();
    engine.reset();
  }
};

const nlohmann::json& Chat() {
  static const nlohmann::json chat = multimodal::test::Glm4vReference()["chat"];
  return chat;
}

// The reference chat with `image` (by default its own), greedy.
GenerateRequest ImageRequest(const std::string& image = "") {
  GenerateRequest request;
  request.input_ids = Chat()["prompt_ids"].get<std::vector<int32_t>>();
  request.images = {{.source = multimodal::test::PreprocessFixturePath(image.empty() ? Chat()["image"].get<std::string>() : image)}};
  request.sampling.temperature = 0;
  request.sampling.max_new_tokens = static_cast<int64_t>(Chat()["greedy_ids"].size());
  request.sampling.ignore_eos = true;
  return request;
}

GenerateRequest TextRequest() {
  GenerateRequest request;
  request.input_ids = {260, 10, 87, 104, 121, 63, 261, 10};
  request.sampling.temperature = 0;
  request.sampling.max_new_tokens = 4;
  request.sampling.ignore_eos = true;
  return request;
}

bool Ready(std::future<Result<GenerateResult>>& f, std::chrono::seconds wait = kPatience) {
  return f.wait_for(wait) == std::future_status::ready;
}

TEST(EngineImageEncodeTest, ATextRequestFinishesWhileAnImageEncodes) {
  GatedEngine gated;
  EncodeGate& gate = gated.gate;
  std::unique_ptr<Engine>& engine = gated.engine;
  ASSERT_NE(engine, nullptr);
  GenerateHandle image = engine->Submit(ImageRequest(), {});
  ASSERT_TRUE(gate.WaitStarted());
  GenerateHandle text = engine->Submit(TextRequest(), {});
  const bool text_done = Ready(text.result);
  // The encode is still held: the image request cannot have finished.
  EXPECT_FALSE(Ready(image.result, std::chrono::seconds(0)));
  gate.Open();
  ASSERT_TRUE(text_done) << "the text request waited for the image's encode";
  auto text_result = text.result.get();
  ASSERT_TRUE(text_result.ok()) << text_result.status().message();
  EXPECT_EQ(text_result->output_ids.size(), 4u);
  ASSERT_TRUE(Ready(image.result));
  auto image_result = image.result.get();
  ASSERT_TRUE(image_result.ok()) << image_result.status().message();
  EXPECT_EQ(image_result->output_ids, Chat()["greedy_ids"].get<std::vector<int32_t>>());
  EXPECT_GT(image_result->stats.vision_encode_seconds, 0);
  EXPECT_EQ(image_result->stats.encoder_cache_hits, 0);
}

TEST(EngineImageEncodeTest, AnEncoderFailureFailsItsRequestWithTheMessage) {
  std::atomic<int> calls{0};
  auto engine = Glm4vEngine([&calls]() -> Status {
    if (calls++ == 0) return Status(StatusCode::kInternal, "injected encoder failure");
    return Status::Ok();
  });
  ASSERT_NE(engine, nullptr);
  auto failed = engine->Generate(ImageRequest());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kInternal);
  EXPECT_THAT(failed.status().message(), HasSubstr("injected encoder failure"));
  EXPECT_THAT(failed.status().message(), HasSubstr("image 0"));
  // Nothing was cached for the image: the next request encodes it and succeeds.
  auto retried = engine->Generate(ImageRequest());
  ASSERT_TRUE(retried.ok()) << retried.status().message();
  EXPECT_EQ(retried->output_ids, Chat()["greedy_ids"].get<std::vector<int32_t>>());
  EXPECT_EQ(retried->stats.encoder_cache_hits, 0);
}

TEST(EngineImageEncodeTest, AConstrainedImageRequestCompilesThenEncodes) {
  std::atomic<int> encodes{0};
  auto engine = Glm4vEngine([&encodes] {
    ++encodes;
    return Status::Ok();
  });
  ASSERT_NE(engine, nullptr);
  GenerateRequest request = ImageRequest();
  request.sampling.regex = "[a-z]{3}";
  request.sampling.ignore_eos = false;
  auto result = engine->Generate(request);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_THAT(result->text, ::testing::MatchesRegex("[a-z]{3}"));
  EXPECT_EQ(encodes, 1);
  EXPECT_GT(result->stats.vision_encode_seconds, 0);
}

// An image request held in its encode, and one of another image queued behind it.
struct HeldAndQueued {
  GenerateHandle encoding, queued;
};
HeldAndQueued HoldOneQueueOne(GatedEngine& gated) {
  HeldAndQueued h;
  h.encoding = gated.engine->Submit(ImageRequest(), {});
  EXPECT_TRUE(gated.gate.WaitStarted());
  h.queued = gated.engine->Submit(ImageRequest("src_64x300.png"), {});
  return h;
}

void ExpectAbortedWithoutOutput(GenerateHandle& h) {
  ASSERT_TRUE(Ready(h.result));
  auto result = h.result.get();
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->finish_reason.type, FinishReason::Type::kAbort);
  EXPECT_TRUE(result->output_ids.empty());
}

TEST(EngineImageEncodeTest, AbortingARequestWaitingForItsEncodeFinishesIt) {
  GatedEngine gated;
  std::unique_ptr<Engine>& engine = gated.engine;
  ASSERT_NE(engine, nullptr);
  HeldAndQueued held = HoldOneQueueOne(gated);
  engine->Abort(held.queued.id);  // still queued behind the held encode: finished at once
  ExpectAbortedWithoutOutput(held.queued);
  engine->Abort(held.encoding.id);  // being encoded: finished as aborted once the encode ends
  gated.gate.Open();
  ExpectAbortedWithoutOutput(held.encoding);
  // Neither reached the scheduler, and the engine keeps serving (the image now from the encoder cache).
  EXPECT_EQ(engine->Stats().num_waiting + engine->Stats().num_running, 0);
  EXPECT_EQ(engine->Stats().kv_used_tokens, 0);
  auto next = engine->Generate(ImageRequest());
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(next->output_ids, Chat()["greedy_ids"].get<std::vector<int32_t>>());
  EXPECT_EQ(next->stats.encoder_cache_hits, 1);
}

// SGLang's --max-queued-requests bounds the requests not yet running; here those waiting
// for their encode (or grammar compile) are queued too, so the server refuses more.
TEST(EngineImageEncodeTest, RequestsWaitingForTheirEncodeCountAsQueued) {
  GatedEngine gated;
  std::unique_ptr<Engine>& engine = gated.engine;
  ASSERT_NE(engine, nullptr);
  HeldAndQueued held = HoldOneQueueOne(gated);
  EXPECT_EQ(engine->Stats().num_waiting_aside, 2);
  EXPECT_EQ(engine->Stats().num_waiting, 0);
  server::ServerArgs args;
  args.max_queued_requests = 2;
  EXPECT_TRUE(server::ApiContext(*engine, args).Overloaded());
  args.max_queued_requests = 3;
  EXPECT_FALSE(server::ApiContext(*engine, args).Overloaded());
  gated.gate.Open();
  ASSERT_TRUE(Ready(held.encoding.result));
  ASSERT_TRUE(Ready(held.queued.result));
  EXPECT_EQ(engine->Stats().num_waiting_aside, 0);
  args.max_queued_requests = 1;
  EXPECT_FALSE(server::ApiContext(*engine, args).Overloaded());
}

TEST(EngineImageEncodeTest, ShuttingDownWithEncodesQueuedFinishesEveryRequest) {
  GatedEngine gated;
  std::unique_ptr<Engine>& engine = gated.engine;
  ASSERT_NE(engine, nullptr);
  HeldAndQueued held = HoldOneQueueOne(gated);
  GenerateHandle text = engine->Submit(TextRequest(), {});
  // The engine goes while one encode is held and another queued; the held one is let go
  // once shutdown has begun (the destructor finishes the encode it is in).
  std::thread shutdown([&engine] { engine.reset(); });
  gated.gate.Open();
  shutdown.join();
  for (GenerateHandle* h : {&held.encoding, &held.queued, &text}) {
    ASSERT_TRUE(Ready(h->result, std::chrono::seconds(0)));
    auto r = h->result.get();
    if (r.ok()) continue;  // finished, or aborted by the shutdown
    EXPECT_THAT(r.status().message(), HasSubstr("shutting down"));
  }
}

}  // namespace
}  // namespace sgl
