// libFuzzer target: DecodeImage on arbitrary bytes must return an error or a whole RGB
// image within the limits, never crash, hang or over-allocate; a decoded image then goes
// through the Qwen2-VL preprocessing (smart resize, bicubic, patchify) with a small area
// so every decoded size exercises the resize paths. Every output value is read so
// AddressSanitizer sees any out-of-bounds write.
#include <cstddef>
#include <cstdint>

#include "multimodal/image_decoder.h"
#include "multimodal/image_preprocessor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sgl::multimodal::ImageLimits limits;
  limits.max_pixels = 1 << 20;
  limits.max_side = 4096;
  auto image = sgl::multimodal::DecodeImage({data, size}, limits, "fuzz");
  if (!image.ok()) return 0;
  if (image->rgb.size() != image->num_pixels() * 3 || image->num_pixels() > size_t{1} << 20) __builtin_trap();
  auto config = sgl::multimodal::ImagePreprocessConfig::Qwen2Vl();
  config.min_pixels = 28 * 28;
  config.max_pixels = 28 * 28 * 4;
  auto patches = sgl::multimodal::ImagePreprocessor(config).Preprocess(*image, "fuzz");
  if (!patches.ok()) return 0;
  volatile float sink = 0;
  for (const float v : patches->values) sink = sink + v;
  return 0;
}
