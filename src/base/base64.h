// DecodeBase64: standard base64 (RFC 4648 alphabet, '=' padding optional) to bytes.
// ASCII whitespace anywhere is skipped, as Python's base64 and browsers do for data
// URLs; any other character outside the alphabet, or padding followed by more data, is
// an error. Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace sgl {

// `what` names the input in the error ("image_data[0]").
Result<std::string> DecodeBase64(std::string_view text, std::string_view what);

// True when `text` (whitespace skipped) is non-empty and uses only the base64 alphabet and
// trailing '=' padding: a cheap test before decoding something that may be a path.
bool LooksLikeBase64(std::string_view text);

}  // namespace sgl
