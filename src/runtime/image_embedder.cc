#include "runtime/image_embedder.h"

#include <algorithm>

namespace sgl {

Status ImageEmbedder::CheckRows(const Request& req, int64_t begin, int64_t n) const {
  for (size_t i = 0; i < req.images.size(); ++i)
    if (!req.images[i].rows && req.images[i].Overlaps(begin, begin + n))
      return Status(StatusCode::kInternal, fmt::format("image {} reached the scheduler without its encoder rows", i));
  return Status::Ok();
}

void ImageEmbedder::AddToBatch(const Request& req, int64_t begin, int64_t n, int32_t first_token,
                               ForwardBatch& batch) const {
  for (const RequestImage& image : req.images) {
    if (!image.Overlaps(begin, begin + n)) continue;
    const int64_t from = std::max(begin, image.token_begin), to = std::min(begin + n, image.token_end());
    batch.input_embeds.push_back({static_cast<int32_t>(first_token + from - begin), static_cast<int32_t>(to - from),
                                  from - image.token_begin, image.rows});
  }
  batch.axis_positions.resize(3);
  for (int64_t i = begin; i < begin + n; ++i) {
    for (size_t a = 0; a < 3; ++a) {
      int64_t position = i;
      if (req.mrope) {
        position = i < req.prompt_len() ? req.mrope->axes[a][i] : i + req.mrope->rope_delta();
      }
      batch.axis_positions[a].push_back(static_cast<int32_t>(position));
    }
  }
}

}  // namespace sgl
