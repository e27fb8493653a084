#include "multimodal/image_hash.h"

#include <xxhash.h>

namespace sgl::multimodal {

ImageHash HashImage(const Image& image) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  const int32_t size[2] = {image.width, image.height};  // 2x3 and 3x2 of the same bytes differ
  XXH3_128bits_update(state, size, sizeof(size));
  XXH3_128bits_update(state, image.rgb.data(), image.rgb.size());
  const XXH128_hash_t digest = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  return {digest.high64, digest.low64};
}

}  // namespace sgl::multimodal
