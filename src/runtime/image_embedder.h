// ImageEmbedder: the scheduler's side of image input. Before a prefill chunk runs, it
// gives every image the chunk covers its encoder rows (from the EncoderCache by hash, else
// VisionModel::Encode, timed into the request's stats), then adds to the ForwardBatch the
// chunk's InputEmbeds (a chunk may hold part of an image: first_row says where) and, for
// every token of a vision-language model's batch, its 3-D rotary position (the request's
// precomputed prompt positions, then position + rope_delta on each axis; plain position
// for requests without images), so a cached prefix and a recomputed one agree.
// Scheduler thread only (Encode shares the model's backend).
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/forward_batch.h"
#include "multimodal/encoder_cache.h"
#include "multimodal/vision_model.h"
#include "runtime/request.h"

namespace sgl {

class ImageEmbedder {
 public:
  // REQUIRES: `vision` outlives the embedder.
  ImageEmbedder(multimodal::VisionModel& vision, size_t cache_bytes) : vision_(vision), cache_(cache_bytes) {}
  ImageEmbedder(const ImageEmbedder&) = delete;
  ImageEmbedder& operator=(const ImageEmbedder&) = delete;

  // Makes sure each image of `req` with tokens in [begin, begin + n) has its rows.
  // Mutates req.images[].rows and its encode stats; fails when the encoder does.
  Status PrepareRows(Request& req, int64_t begin, int64_t n);
  // Appends the embeddings and axis positions of req's tokens [begin, begin + n), which
  // the batch holds from token index `first_token` on. REQUIRES: PrepareRows succeeded.
  void AddToBatch(const Request& req, int64_t begin, int64_t n, int32_t first_token, ForwardBatch& batch) const;

  const multimodal::EncoderCache& cache() const { return cache_; }

 private:
  multimodal::VisionModel& vision_;
  multimodal::EncoderCache cache_;
};

}  // namespace sgl
