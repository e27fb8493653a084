#include "runtime/image_embedder.h"

#include <algorithm>
#include <chrono>

namespace sgl {

Status ImageEmbedder::PrepareRows(Request& req, int64_t begin, int64_t n) {
  for (size_t i = 0; i < req.images.size(); ++i) {
    RequestImage& image = req.images[i];
    if (image.rows || !image.Overlaps(begin, begin + n)) continue;
    if ((image.rows = cache_.Find(image.hash))) {
      ++req.encoder_cache_hits;
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    Result<std::vector<float>> rows = vision_.Encode(*image.patches);
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
