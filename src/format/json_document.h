// ParseJsonDocument: parses JSON text into nlohmann::json without letting an exception
// escape. This is the one place where nlohmann's parse exceptions are caught and turned
// into a Status; callers add the file name as context.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace sgl {

// Fails with kCorrupt and nlohmann's description of the syntax error.
Result<nlohmann::json> ParseJsonDocument(std::string_view text);

}  // namespace sgl
