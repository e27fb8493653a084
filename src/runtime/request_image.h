// RequestImage: one image of a request as the scheduler tracks it: where its tokens lie
// in the prompt (there they are its pad id), its hash (the encoder cache's key), the
// preprocessed encoder input, and the encoder's output rows (shared with the EncoderCache).
// Built on the submitting thread, given its rows on the ImageEncodeQueue's, then owned by
// the scheduler thread with its Request.
#pragma once

#include <cstdint>
#include <memory>

#include "multimodal/encoder_cache.h"
#include "multimodal/image_hash.h"
#include "multimodal/image_preprocessor.h"

namespace sgl {

struct RequestImage {
  int64_t token_begin = 0;  // its tokens are prompt positions [token_begin, token_end())
  int64_t num_tokens = 0;
  multimodal::ImageHash hash;
  std::shared_ptr<const multimodal::PixelPatches> patches;
  multimodal::EncoderCache::Rows rows;  // num_tokens rows once encoded or found in the cache

  int64_t token_end() const { return token_begin + num_tokens; }
  // Whether it has tokens in [begin, end).
  bool Overlaps(int64_t begin, int64_t end) const { return token_begin < end && begin < token_end(); }
};

}  // namespace sgl
