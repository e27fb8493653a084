#include "lang/inline_images.h"

#include <string>

#include "lang/image_source.h"

namespace sgl::lang {

std::vector<Node> SplitInlineImages(std::string_view text) {
  std::vector<Node> nodes;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find(kInlineImageOpen, pos);
    if (open == std::string_view::npos) break;
    if (open > pos) nodes.emplace_back(node::Text{std::string(text.substr(pos, open - pos))});
    const size_t source_begin = open + kInlineImageOpen.size();
    const size_t close = text.find(kInlineImageClose, source_begin);
    if (close == std::string_view::npos) {
      nodes.emplace_back(node::Image{"", "inline image: '<image>' without a closing '</image>'"});
      return nodes;
    }
    std::string source(text.substr(source_begin, close - source_begin));
    const size_t first = source.find_first_not_of(" \t\r\n");
    source = first == std::string::npos ? "" : source.substr(first, source.find_last_not_of(" \t\r\n") - first + 1);
    nodes.emplace_back(ReadImageSource(source));
    pos = close + kInlineImageClose.size();
  }
  if (pos < text.size() || nodes.empty()) nodes.emplace_back(node::Text{std::string(text.substr(pos))});
  return nodes;
}

}  // namespace sgl::lang
