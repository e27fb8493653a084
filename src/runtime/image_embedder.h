// ImageEmbedder: the scheduler's side of image input. A request reaches the scheduler with
// every image's encoder rows (the ImageEncodeQueue gave them); before a prefill chunk runs,
// the embedder adds to the ForwardBatch the chunk's InputEmbeds (a chunk may hold part of
// an image: first_row says where) and, for every token of a vision-language model's batch,
// its 3-D rotary position (the request's precomputed prompt positions, then position +
// rope_delta on each axis; plain position for requests without images), so a cached
// prefix and a recomputed one agree. Holds no state; scheduler thread only.
#pragma once

#include <cstdint>

#include "backend/forward_batch.h"
#include "base/status.h"
#include "runtime/request.h"

namespace sgl {

class ImageEmbedder {
 public:
  // Whether each image of `req` with tokens in [begin, begin + n) has its rows; an
  // internal error names the first that has none.
  Status CheckRows(const Request& req, int64_t begin, int64_t n) const;
  // Appends the embeddings and axis positions of req's tokens [begin, begin + n), which
  // the batch holds from token index `first_token` on. REQUIRES: CheckRows succeeded.
  void AddToBatch(const Request& req, int64_t begin, int64_t n, int32_t first_token, ForwardBatch& batch) const;
};

}  // namespace sgl
