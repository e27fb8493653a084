// LoadImageBytes: the compressed bytes behind one image reference as SGLang accepts it in
// `image_data` / OpenAI `image_url`: a `data:<mime>;base64,...` URL, a local file path
// (optionally `file://`), or bare base64. Remote http(s) URLs are refused (this server
// does not fetch). Pure function over the file system; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace sgl::multimodal {

struct ImageSourceOptions {
  size_t max_encoded_bytes = 64u << 20;
  // A server facing untrusted clients may turn this off (`sgl serve --disable-local-image-files`,
  // which the refusal names); then only data: URLs and base64 are read.
  bool allow_local_files = true;
};

// `what` names the reference in errors ("messages[0].content[1].image_url").
Result<std::string> LoadImageBytes(std::string_view reference, const ImageSourceOptions& options,
                                   std::string_view what);

}  // namespace sgl::multimodal
