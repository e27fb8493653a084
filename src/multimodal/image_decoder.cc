// JPEG, PNG, GIF and BMP go through stb_image (Debian's libstb), WebP through libwebp.
// Both decode to RGBA; FlattenOntoWhite then does what transformers' convert_to_rgb does
// with Pillow's alpha_composite over an opaque white background.
#include "multimodal/image_decoder.h"

#include <stb_image.h>
#include <webp/decode.h>

#include <climits>
#include <cstring>
#include <memory>

namespace sgl::multimodal {
namespace {

bool StartsWith(std::span<const uint8_t> bytes, std::string_view magic, size_t offset = 0) {
  return bytes.size() >= offset + magic.size() && std::memcmp(bytes.data() + offset, magic.data(), magic.size()) == 0;
}

Status CheckDimensions(int width, int height, const ImageLimits& limits, std::string_view what) {
  if (width <= 0 || height <= 0) return InvalidArgument("{}: image has no pixels ({}x{})", what, width, height);
  if (width > limits.max_side || height > limits.max_side) {
    return InvalidArgument("{}: image is {}x{}, over the limit of {} pixels per side", what, width, height,
                           limits.max_side);
  }
  const int64_t num_pixels = int64_t{width} * height;
  if (num_pixels > limits.max_pixels) {
    return InvalidArgument("{}: image is {}x{} = {} pixels, over the limit of {}", what, width, height, num_pixels,
                           limits.max_pixels);
  }
  return Status::Ok();
}

// Pillow's AlphaComposite.c for an opaque destination (white): 7 fractional bits and its
// divide-by-255 by shifts. For alpha 255 this is the identity.
uint8_t CompositeOverWhite(uint32_t value, uint32_t alpha) {
  constexpr uint32_t kPrecisionBits = 7;
  const uint32_t coef1 = alpha << kPrecisionBits;
  const uint32_t coef2 = (255u << kPrecisionBits) - coef1;
  const uint32_t tmp = value * coef1 + 255u * coef2 + (0x80u << kPrecisionBits);
  return static_cast<uint8_t>((((tmp >> 8) + tmp) >> 8) >> kPrecisionBits);
}

Image FlattenOntoWhite(const uint8_t* rgba, int width, int height) {
  Image image;
  image.width = width;
  image.height = height;
  image.rgb.resize(image.num_pixels() * 3);
  for (size_t i = 0; i < image.num_pixels(); ++i) {
    const uint8_t* in = rgba + i * 4;
    uint8_t* out = &image.rgb[i * 3];
    if (in[3] == 255) {
      std::memcpy(out, in, 3);
    } else {
      for (int c = 0; c < 3; ++c) out[c] = CompositeOverWhite(in[c], in[3]);
    }
  }
  return image;
}

Result<Image> DecodeWithStb(std::span<const uint8_t> bytes, const ImageLimits& limits, std::string_view what,
                            ImageFormat format) {
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int size = static_cast<int>(bytes.size());
  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_memory(data, size, &width, &height, &channels)) {
    return InvalidArgument("{}: corrupt {} header ({})", what, ImageFormatName(format), stbi_failure_reason());
  }
  SGL_RETURN_IF_ERROR(CheckDimensions(width, height, limits, what));
  std::unique_ptr<stbi_uc, void (*)(void*)> rgba(stbi_load_from_memory(data, size, &width, &height, &channels, 4),
                                                 stbi_image_free);
  if (rgba == nullptr) {
    return InvalidArgument("{}: cannot decode {} ({})", what, ImageFormatName(format), stbi_failure_reason());
  }
  return FlattenOntoWhite(rgba.get(), width, height);
}

Result<Image> DecodeWebp(std::span<const uint8_t> bytes, const ImageLimits& limits, std::string_view what) {
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(bytes.data(), bytes.size(), &features) != VP8_STATUS_OK) {
    return InvalidArgument("{}: corrupt WebP header", what);
  }
  if (features.has_animation) return InvalidArgument("{}: animated WebP is not supported", what);
  SGL_RETURN_IF_ERROR(CheckDimensions(features.width, features.height, limits, what));
  const size_t stride = static_cast<size_t>(features.width) * 4;
  std::vector<uint8_t> rgba(stride * features.height);
  if (WebPDecodeRGBAInto(bytes.data(), bytes.size(), rgba.data(), rgba.size(), static_cast<int>(stride)) == nullptr) {
    return InvalidArgument("{}: cannot decode WebP", what);
  }
  return FlattenOntoWhite(rgba.data(), features.width, features.height);
}

}  // namespace

std::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "JPEG";
    case ImageFormat::kPng: return "PNG";
    case ImageFormat::kGif: return "GIF";
    case ImageFormat::kWebp: return "WebP";
    case ImageFormat::kBmp: return "BMP";
  }
  return "image";
}

Result<ImageFormat> SniffImageFormat(std::span<const uint8_t> bytes, std::string_view what) {
  if (StartsWith(bytes, "\xFF\xD8\xFF")) return ImageFormat::kJpeg;
  if (StartsWith(bytes, "\x89PNG\r\n\x1A\n")) return ImageFormat::kPng;
  if (StartsWith(bytes, "GIF87a") || StartsWith(bytes, "GIF89a")) return ImageFormat::kGif;
  if (StartsWith(bytes, "RIFF") && StartsWith(bytes, "WEBP", 8)) return ImageFormat::kWebp;
  if (StartsWith(bytes, "BM")) return ImageFormat::kBmp;
  if (bytes.empty()) return InvalidArgument("{}: empty image data", what);
  return InvalidArgument("{}: not a JPEG, PNG, GIF, WebP or BMP image ({} bytes, starting 0x{:02x})", what,
                         bytes.size(), bytes[0]);
}

Result<Image> DecodeImage(std::span<const uint8_t> bytes, const ImageLimits& limits, std::string_view what) {
  if (bytes.size() > limits.max_encoded_bytes || bytes.size() > static_cast<size_t>(INT_MAX)) {
    return InvalidArgument("{}: image data is {} bytes, over the limit of {}", what, bytes.size(),
                           limits.max_encoded_bytes);
  }
  SGL_ASSIGN_OR_RETURN(const ImageFormat format, SniffImageFormat(bytes, what));
  if (format == ImageFormat::kWebp) return DecodeWebp(bytes, limits, what);
  return DecodeWithStb(bytes, limits, what, format);
}

}  // namespace sgl::multimodal
