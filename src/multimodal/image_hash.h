// ImageHash: a 128-bit content hash of a decoded image (XXH3-128 over its size and RGB
// pixels), so the same picture sent twice — in another encoding, or re-sent in a later
// chat turn — gets the same key for the encoder-output cache and the prefix cache.
// Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <functional>

#include "multimodal/image.h"

namespace sgl::multimodal {

struct ImageHash {
  uint64_t high = 0;
  uint64_t low = 0;

  friend bool operator==(const ImageHash&, const ImageHash&) = default;
};

ImageHash HashImage(const Image& image);

}  // namespace sgl::multimodal

template <>
struct std::hash<sgl::multimodal::ImageHash> {
  size_t operator()(const sgl::multimodal::ImageHash& h) const noexcept { return h.low ^ (h.high * 0x9E3779B97F4A7C15ull); }
};
