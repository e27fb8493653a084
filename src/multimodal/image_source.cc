#include "multimodal/image_source.h"

#include <filesystem>
#include <fstream>
#include <system_error>

#include "base/base64.h"

namespace sgl::multimodal {
namespace {

bool HasPrefix(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

Result<std::string> DecodeBounded(std::string_view base64, const ImageSourceOptions& options, std::string_view what) {
  // 4 base64 symbols carry 3 bytes; refuse before allocating for an oversized payload.
  if (base64.size() / 4 * 3 > options.max_encoded_bytes + 3) {
    return InvalidArgument("{}: base64 image is over the limit of {} bytes", what, options.max_encoded_bytes);
  }
  return DecodeBase64(base64, what);
}

Result<std::string> DecodeDataUrl(std::string_view url, const ImageSourceOptions& options, std::string_view what) {
  const size_t comma = url.find(',');
  if (comma == std::string_view::npos) return InvalidArgument("{}: data URL has no ',' before its data", what);
  const std::string_view header = url.substr(5, comma - 5);  // after "data:"
  if (header.size() < 7 || header.substr(header.size() - 7) != ";base64") {
    return InvalidArgument("{}: data URL must be base64-encoded (data:<type>;base64,...)", what);
  }
  return DecodeBounded(url.substr(comma + 1), options, what);
}

Result<std::string> ReadFile(const std::string& path, const ImageSourceOptions& options, std::string_view what) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) return NotFound("{}: cannot read image file '{}': {}", what, path, error.message());
  if (size > options.max_encoded_bytes) {
    return InvalidArgument("{}: image file '{}' is {} bytes, over the limit of {}", what, path, size,
                           options.max_encoded_bytes);
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    return IoError("{}: cannot read image file '{}'", what, path);
  }
  return bytes;
}

bool IsRegularFile(const std::string& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error);
}

}  // namespace

Result<std::string> LoadImageBytes(std::string_view reference, const ImageSourceOptions& options,
                                   std::string_view what) {
  if (reference.empty()) return InvalidArgument("{}: empty image reference", what);
  if (HasPrefix(reference, "data:")) return DecodeDataUrl(reference, options, what);
  if (HasPrefix(reference, "http://") || HasPrefix(reference, "https://")) {
    return Unsupported("{}: remote image URLs are not fetched; send the image as a data: URL or base64", what);
  }
  const bool explicit_file = HasPrefix(reference, "file://");
  if (!options.allow_local_files) {
    // The file system is not even probed, so a client learns nothing about its files.
    if (explicit_file || !LooksLikeBase64(reference))
      return InvalidArgument("{}: local image files are not allowed on this server (--disable-local-image-files); "
                             "send the image as a data: URL or base64", what);
    return DecodeBounded(reference, options, what);
  }
  const std::string path(explicit_file ? reference.substr(7) : reference);
  // A short base64 string may also be a valid relative path; an existing file wins, as in SGLang.
  if (explicit_file || (reference.size() < 4096 && IsRegularFile(path))) return ReadFile(path, options, what);
  if (LooksLikeBase64(reference)) return DecodeBounded(reference, options, what);
  return InvalidArgument("{}: not a data: URL, an existing file or base64 image data", what);
}

}  // namespace sgl::multimodal
