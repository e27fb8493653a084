// SplitInlineImages: role text with images written inline, the way deployment guides
// write them ("What is in <image>photo.jpg</image>?"), as the nodes image(...) would make:
// the text around each tag, and an Image read from the tag's path or URL (see
// ReadImageSource). An unclosed or empty tag becomes an Image carrying the error. Text
// without "<image>" comes back as one Text node. Does blocking I/O for the images.
#pragma once

#include <string_view>
#include <vector>

#include "lang/expr.h"

namespace sgl::lang {

inline constexpr std::string_view kInlineImageOpen = "<image>";
inline constexpr std::string_view kInlineImageClose = "</image>";

std::vector<Node> SplitInlineImages(std::string_view text);

}  // namespace sgl::lang
