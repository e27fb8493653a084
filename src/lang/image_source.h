// ReadImageSource: an image's bytes from where a program names it, as SGLang's Python
// frontend reads sgl.image's argument: a local path, a file:// or data: URL, or bare
// base64 (multimodal::LoadImageBytes), or a plain http:// URL, fetched at once. https://
// is refused (no TLS here): download it first. Failures come back in the node's error,
// which the State reports. Thread-safe; does blocking I/O.
#pragma once

#include <string>

#include "lang/expr.h"

namespace sgl::lang {

node::Image ReadImageSource(const std::string& path_or_url);

}  // namespace sgl::lang
