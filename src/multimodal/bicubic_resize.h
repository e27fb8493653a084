// ResizeBicubic: Pillow's Image.resize(size, Image.BICUBIC) on an RGB image, bit for bit:
// the same separable filter (a = -0.5, support widened by the scale when shrinking, so it
// antialiases), the same coefficients rounded to 22 fractional bits, two passes with 8-bit
// rounding between them, in Pillow 13's order (vertical first when the height loses more
// than twice as many pixels as the width, else horizontal first). This is what the Hugging
// Face "PIL backend" image processors of Qwen2-VL / GLM-4.1V do. Pure function; thread-safe.
#pragma once

#include "multimodal/image.h"

namespace sgl::multimodal {

// REQUIRES: image non-empty, width and height >= 1.
Image ResizeBicubic(const Image& image, int width, int height);

}  // namespace sgl::multimodal
