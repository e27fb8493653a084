#include "runtime/image_encode_queue.h"

#include <chrono>

namespace sgl {

ImageEncodeQueue::ImageEncodeQueue(multimodal::VisionModel& vision, size_t cache_bytes, BeforeEncode before_encode)
    : vision_(vision),
      cache_(cache_bytes),
      before_encode_(std::move(before_encode)),
      jobs_(
          1, [this](Job& job) { job.done(EncodeImages(*job.req)); },
          [](Job& job) { job.done(Status(StatusCode::kInternal, "the engine is shutting down")); }) {}

void ImageEncodeQueue::Enqueue(std::shared_ptr<Request> req, Callback done) {
  jobs_.Push({std::move(req), std::move(done)});
}

bool ImageEncodeQueue::Cancel(uint64_t id) {
  std::optional<Job> job = jobs_.TakeIf([id](const Job& j) { return j.req->id == id; });
  if (!job) return false;
  job->done(Status(StatusCode::kInternal, "the image encode was cancelled"));
  return true;
}

Status ImageEncodeQueue::EncodeImages(Request& req) {
  for (size_t i = 0; i < req.images.size(); ++i) {
    RequestImage& image = req.images[i];
    if (image.rows) continue;
    if ((image.rows = cache_.Find(image.hash))) {
      ++req.encoder_cache_hits;
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    const Status hook = before_encode_ ? before_encode_() : Status::Ok();
    Result<std::vector<float>> rows = hook.ok() ? vision_.Encode(*image.patches) : Result<std::vector<float>>(hook);
    req.vision_encode_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!rows.ok()) return rows.status().WithContext(fmt::format("the vision encoder failed on image {}", i));
    if (static_cast<int64_t>(rows->size()) != image.num_tokens * vision_.embedding_width())
      return Status(StatusCode::kInternal, fmt::format("image {}: the encoder gave {} floats for {} tokens", i,
                                                       rows->size(), image.num_tokens));
    image.rows = std::make_shared<const std::vector<float>>(std::move(*rows));
    cache_.Insert(image.hash, image.rows);
  }
  return Status::Ok();
}

}  // namespace sgl
