// ExpandImagePlaceholders and ImagePadId: a rendered prompt holds one placeholder token
// per image; the processor repeats it once per image token. In the request's token ids
// those copies are the image's pad id, a value past the vocabulary derived from the image
// hash (SGLang's pad_value), so the radix cache keys an image by its content and a later
// turn that resends it matches through it. Pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "multimodal/image_hash.h"

namespace sgl::multimodal {

// Where one image's tokens lie in the expanded prompt: [begin, begin + num_tokens).
struct ImageTokenRange {
  int64_t begin = 0;
  int64_t num_tokens = 0;
};

struct ExpandedPrompt {
  std::vector<int32_t> input_ids;  // each placeholder repeated its image's token count
  std::vector<ImageTokenRange> images;
};

// `tokens_per_image[i]` copies of `placeholder` replace its i-th occurrence. Errors (naming
// both counts) when the prompt holds a different number of placeholders than images.
Result<ExpandedPrompt> ExpandImagePlaceholders(std::span<const int32_t> input_ids, int32_t placeholder,
                                               std::span<const int> tokens_per_image);

// A token id in [vocab_size, vocab_size + 2^30) that stands for the image `hash`.
int32_t ImagePadId(const ImageHash& hash, int64_t vocab_size);

}  // namespace sgl::multimodal
