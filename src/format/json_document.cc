#include "format/json_document.h"

namespace sgl {

Result<nlohmann::json> ParseJsonDocument(std::string_view text) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    return Corrupt("invalid JSON: {}", e.what());
  }
}

}  // namespace sgl
