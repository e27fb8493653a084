// Base64 (RFC 4648, with padding): how images travel in SGLang's image_data. Pure function.
#pragma once

#include <string>
#include <string_view>

namespace sgl::lang {

std::string Base64Encode(std::string_view bytes);

}  // namespace sgl::lang
