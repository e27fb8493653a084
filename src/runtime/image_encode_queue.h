// ImageEncodeQueue: gives requests' images their vision-encoder rows on a thread of its
// own, driving the vision model's own Backend, so that a long encode delays only the
// requests waiting for it, never the scheduler's steps. Owns the EncoderCache (rows by
// image hash); borrows the VisionModel, whose Encode only this thread calls. Enqueue and
// Cancel may be called from any thread; each job's callback runs exactly once: on the
// encoder thread, on the thread that cancels it, or in the destructor for jobs never started.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "base/job_queue.h"
#include "base/status.h"
#include "multimodal/encoder_cache.h"
#include "multimodal/vision_model.h"
#include "runtime/request.h"

namespace sgl {

class ImageEncodeQueue {
 public:
  using Callback = std::function<void(Status)>;
  // Testing: runs on the encoder thread before each image that is encoded (not on cache
  // hits); an error fails that encode.
  using BeforeEncode = std::function<Status()>;

  // REQUIRES: `vision` (and its backend) outlives the queue.
  ImageEncodeQueue(multimodal::VisionModel& vision, size_t cache_bytes, BeforeEncode before_encode = nullptr);
  // (Destruction finishes the job being encoded; the others' callbacks get an error.)
  ImageEncodeQueue(const ImageEncodeQueue&) = delete;
  ImageEncodeQueue& operator=(const ImageEncodeQueue&) = delete;

  // Gives every image of `req` its rows (cached, or encoded and then cached), counting
  // req's encoder_cache_hits and vision_encode_seconds, then calls `done` with the first
  // failure or Ok. REQUIRES: nobody else touches `req` until `done` runs.
  void Enqueue(std::shared_ptr<Request> req, Callback done);
  // Drops request `id`'s job if it has not started, calling its callback (on this thread)
  // with an error; false when there is none (being encoded, done, or never queued).
  bool Cancel(uint64_t id);

 private:
  struct Job {
    std::shared_ptr<Request> req;
    Callback done;
  };
  Status EncodeImages(Request& req);  // encoder thread

  multimodal::VisionModel& vision_;
  multimodal::EncoderCache cache_;  // encoder thread only
  BeforeEncode before_encode_;
  JobQueue<Job> jobs_;  // last: its thread stops before the fields above go
};

}  // namespace sgl
