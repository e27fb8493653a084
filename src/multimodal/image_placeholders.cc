#include "multimodal/image_placeholders.h"

#include <algorithm>

namespace sgl::multimodal {

Result<ExpandedPrompt> ExpandImagePlaceholders(std::span<const int32_t> input_ids, int32_t placeholder,
                                               std::span<const int> tokens_per_image) {
  const auto num_placeholders = static_cast<size_t>(std::count(input_ids.begin(), input_ids.end(), placeholder));
  if (num_placeholders != tokens_per_image.size()) {
    return InvalidArgument("the prompt has {} image placeholder(s) (token {}) but {} image(s) were given",
                           num_placeholders, placeholder, tokens_per_image.size());
  }
  ExpandedPrompt out;
  size_t image = 0;
  for (int32_t id : input_ids) {
    if (id != placeholder) {
      out.input_ids.push_back(id);
      continue;
    }
    const int count = tokens_per_image[image++];
    if (count < 1) return InvalidArgument("image {} has no tokens", image - 1);
    out.images.push_back({static_cast<int64_t>(out.input_ids.size()), count});
    out.input_ids.insert(out.input_ids.end(), count, placeholder);
  }
  return out;
}

int32_t ImagePadId(const ImageHash& hash, int64_t vocab_size) {
  constexpr uint64_t kRange = uint64_t{1} << 30;
  return static_cast<int32_t>(vocab_size + static_cast<int64_t>((hash.low ^ hash.high) % kRange));
}

}  // namespace sgl::multimodal
