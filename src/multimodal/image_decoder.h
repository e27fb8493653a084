// DecodeImage: compressed image bytes (JPEG, PNG, WebP, GIF's first frame, BMP) to an RGB
// `Image`, the way Pillow + transformers' convert_to_rgb see them: grey is replicated,
// alpha composited onto white with Pillow's integer rounding. Limits are checked from
// the header before any pixel memory is allocated. Pure function; thread-safe.
//
// Known gaps against Pillow (documented in docs/ARCHITECTURE.md): JPEG goes through
// stb_image, whose IDCT and chroma upsampling differ from libjpeg-turbo's by a few levels
// per channel; EXIF orientation is not applied (neither does Image.open); 16-bit grey PNGs
// keep their high byte where Pillow clips.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "base/status.h"
#include "multimodal/image.h"

namespace sgl::multimodal {

struct ImageLimits {
  size_t max_encoded_bytes = 64u << 20;   // the compressed input
  int64_t max_pixels = 64LL << 20;        // width * height of the decoded picture
  int max_side = 32768;                   // either dimension
};

enum class ImageFormat { kJpeg, kPng, kGif, kWebp, kBmp };

std::string_view ImageFormatName(ImageFormat format);

// The format named by the first bytes, or an error naming what the bytes look like.
Result<ImageFormat> SniffImageFormat(std::span<const uint8_t> bytes, std::string_view what);

// `what` names the image in errors ("image_data[1]"). Errors: InvalidArgument for
// unknown formats, corrupt data and images over `limits` (the message names the limit).
Result<Image> DecodeImage(std::span<const uint8_t> bytes, const ImageLimits& limits, std::string_view what);

}  // namespace sgl::multimodal
