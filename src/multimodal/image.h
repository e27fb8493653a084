// Image: a decoded picture as 8-bit RGB, rows top to bottom, pixels interleaved
// (R, G, B). Images with transparency have already been composited onto white, as the
// Hugging Face image processors do. A plain value type; copying copies the pixels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sgl::multimodal {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3 bytes

  size_t num_pixels() const { return static_cast<size_t>(width) * static_cast<size_t>(height); }
  const uint8_t* Pixel(int x, int y) const { return &rgb[(static_cast<size_t>(y) * width + x) * 3]; }
};

}  // namespace sgl::multimodal
