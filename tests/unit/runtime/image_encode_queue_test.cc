// ImageEncodeQueue over a fake VisionModel: each image gets rows from Encode on the queue's
// thread (not the caller's), a repeated hash is an encoder-cache hit, an encoder error or
// a wrong row count fails the job naming the image, a queued job can be cancelled (its
// callback runs once, on the cancelling thread), and the destructor ends every job once,
// failing those never started.
#include "runtime/image_encode_queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace sgl {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kWidth = 2;

// Encodes an image of N patches into N rows of kWidth floats, each the first pixel value;
// a first pixel of -1 fails. Encode may be held at a gate.
class FakeVisionModel final : public multimodal::VisionModel {
 public:
  int32_t image_token_id() const override { return 7; }
  int64_t embedding_width() const override { return kWidth; }
  Result<multimodal::PixelPatches> Preprocess(const multimodal::Image&, std::string_view) const override {
    return multimodal::PixelPatches{};
  }
  int NumImageTokens(const multimodal::PixelPatches& p) const override { return p.num_patches(); }
  Result<multimodal::MropePositions> Positions(std::span<const int32_t>,
                                               std::span<const multimodal::VisionGrid>) const override {
    return multimodal::MropePositions{};
  }
  Result<std::vector<float>> Encode(const multimodal::PixelPatches& p) override {
    encode_thread = std::this_thread::get_id();
    ++num_encodes;
    gate.wait();
    if (p.values[0] < 0) return Status(StatusCode::kInternal, "fake encoder failure");
    return std::vector<float>(static_cast<size_t>(p.num_patches() * kWidth), p.values[0]);
  }

  std::atomic<int> num_encodes{0};
  std::thread::id encode_thread;
  std::shared_future<void> gate = Opened();

 private:
  static std::shared_future<void> Opened() {
    std::promise<void> p;
    p.set_value();
    return p.get_future().share();
  }
};

RequestImage MakeImage(float value, uint64_t hash, int num_patches = 3) {
  auto patches = std::make_shared<multimodal::PixelPatches>();
  patches->grid_h = 1;
  patches->grid_w = num_patches;
  patches->values = {value};
  RequestImage image;
  image.num_tokens = num_patches;
  image.hash = {hash, hash};
  image.patches = std::move(patches);
  return image;
}

std::shared_ptr<Request> MakeRequest(uint64_t id, std::vector<RequestImage> images) {
  auto req = std::make_shared<Request>();
  req->id = id;
  req->images = std::move(images);
  return req;
}

Status EncodeNow(ImageEncodeQueue& queue, std::shared_ptr<Request> req) {
  std::promise<Status> done;
  auto future = done.get_future();
  queue.Enqueue(std::move(req), [&](Status s) { done.set_value(std::move(s)); });
  return future.get();
}

TEST(ImageEncodeQueueTest, EncodesOnItsThreadAndHitsTheCache) {
  FakeVisionModel vision;
  ImageEncodeQueue queue(vision, 1 << 20);
  auto first = MakeRequest(1, {MakeImage(1.5f, 11), MakeImage(2.5f, 22)});
  ASSERT_TRUE(EncodeNow(queue, first).ok());
  EXPECT_NE(vision.encode_thread, std::this_thread::get_id());
  ASSERT_TRUE(first->images[0].rows && first->images[1].rows);
  EXPECT_EQ(*first->images[0].rows, std::vector<float>(3 * kWidth, 1.5f));
  EXPECT_EQ(*first->images[1].rows, std::vector<float>(3 * kWidth, 2.5f));
  EXPECT_EQ(first->encoder_cache_hits, 0);
  EXPECT_GT(first->vision_encode_seconds, 0);

  auto again = MakeRequest(2, {MakeImage(9.0f, 22)});  // same hash: served from the cache
  ASSERT_TRUE(EncodeNow(queue, again).ok());
  EXPECT_EQ(again->encoder_cache_hits, 1);
  EXPECT_EQ(again->vision_encode_seconds, 0);
  EXPECT_EQ(*again->images[0].rows, std::vector<float>(3 * kWidth, 2.5f));
  EXPECT_EQ(vision.num_encodes, 2);
}

TEST(ImageEncodeQueueTest, FailuresNameTheImage) {
  FakeVisionModel vision;
  ImageEncodeQueue queue(vision, 1 << 20);
  Status s = EncodeNow(queue, MakeRequest(1, {MakeImage(1.0f, 1), MakeImage(-1.0f, 2)}));
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("image 1"));
  EXPECT_THAT(s.message(), HasSubstr("fake encoder failure"));

  RequestImage wrong = MakeImage(1.0f, 3);
  wrong.num_tokens = 5;  // the encoder gives 3 rows
  s = EncodeNow(queue, MakeRequest(2, {std::move(wrong)}));
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("image 0"));
}

TEST(ImageEncodeQueueTest, TheHookRunsBeforeEachEncodeAndCanFailIt) {
  FakeVisionModel vision;
  std::atomic<int> hook_calls{0};
  ImageEncodeQueue queue(vision, 1 << 20, [&]() -> Status {
    return ++hook_calls == 1 ? Status(StatusCode::kInternal, "injected") : Status::Ok();
  });
  Status s = EncodeNow(queue, MakeRequest(1, {MakeImage(1.0f, 1)}));
  EXPECT_THAT(s.message(), HasSubstr("injected"));
  EXPECT_EQ(vision.num_encodes, 0);
  EXPECT_TRUE(EncodeNow(queue, MakeRequest(2, {MakeImage(1.0f, 1)})).ok());
  EXPECT_TRUE(EncodeNow(queue, MakeRequest(3, {MakeImage(1.0f, 1)})).ok());  // a cache hit: no hook
  EXPECT_EQ(hook_calls, 2);
}

TEST(ImageEncodeQueueTest, CancelDropsAQueuedJobOnly) {
  FakeVisionModel vision;
  std::promise<void> open;
  vision.gate = open.get_future().share();
  std::promise<void> started;
  ImageEncodeQueue queue(vision, 1 << 20, [&] {
    started.set_value();  // the first encode only: the second job is cancelled before it starts
    return Status::Ok();
  });
  std::promise<Status> first_done;
  queue.Enqueue(MakeRequest(1, {MakeImage(1.0f, 1)}), [&](Status s) { first_done.set_value(s); });
  started.get_future().wait();  // job 1 is being encoded (held at the gate)
  int second_calls = 0;
  std::thread::id second_thread;
  queue.Enqueue(MakeRequest(2, {MakeImage(2.0f, 2)}), [&](Status s) {
    ++second_calls;
    second_thread = std::this_thread::get_id();
    EXPECT_FALSE(s.ok());
  });
  EXPECT_FALSE(queue.Cancel(1));  // started: not cancellable
  EXPECT_TRUE(queue.Cancel(2));
  EXPECT_EQ(second_calls, 1);
  EXPECT_EQ(second_thread, std::this_thread::get_id());
  EXPECT_FALSE(queue.Cancel(2));  // gone
  open.set_value();
  EXPECT_TRUE(first_done.get_future().get().ok());
  EXPECT_EQ(second_calls, 1);
}

TEST(ImageEncodeQueueTest, DestructionEndsEveryJobOnce) {
  FakeVisionModel vision;
  std::promise<void> open;
  vision.gate = open.get_future().share();
  std::promise<void> started;
  std::atomic<bool> started_set{false};
  int first_calls = 0, second_calls = 0;
  Status first, second;
  std::thread opener;
  {
    ImageEncodeQueue queue(vision, 1 << 20, [&] {
      if (!started_set.exchange(true)) started.set_value();
      return Status::Ok();
    });
    queue.Enqueue(MakeRequest(1, {MakeImage(1.0f, 1)}), [&](Status s) { first = s, ++first_calls; });
    started.get_future().wait();
    queue.Enqueue(MakeRequest(2, {MakeImage(2.0f, 2)}), [&](Status s) { second = s, ++second_calls; });
    // Lets the held encode end while the destructor waits for it (or just before).
    opener = std::thread([&] { open.set_value(); });
  }
  opener.join();
  EXPECT_EQ(first_calls, 1);
  EXPECT_EQ(second_calls, 1);
  EXPECT_TRUE(first.ok()) << first.message();
  // Usually never started, so failed; encoded when the worker took it before the destructor ran.
  if (!second.ok()) EXPECT_THAT(second.message(), HasSubstr("shutting down"));
}

}  // namespace
}  // namespace sgl
