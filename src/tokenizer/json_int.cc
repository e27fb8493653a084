// Range checks before any conversion.
#include "tokenizer/json_int.h"

#include <nlohmann/json.hpp>

namespace sgl::tokenizer {

Result<int64_t> ReadInt(const nlohmann::json& value, int64_t min, int64_t max, std::string_view what) {
  if (value.is_number_unsigned()) {
    const uint64_t v = value.get<uint64_t>();
    if (v <= static_cast<uint64_t>(max) && static_cast<int64_t>(v) >= min) return static_cast<int64_t>(v);
  } else if (value.is_number_integer()) {
    const int64_t v = value.get<int64_t>();
    if (v >= min && v <= max) return v;
  } else {
    return InvalidArgument("{} is not an integer: {}", what, value.dump());
  }
  return InvalidArgument("{} {} is outside [{}, {}]", what, value.dump(), min, max);
}

Result<int64_t> ReadIntField(const nlohmann::json& object, const char* key, int64_t fallback, int64_t min, int64_t max) {
  if (!object.is_object() || !object.contains(key) || object.at(key).is_null()) return fallback;
  return ReadInt(object.at(key), min, max, key);
}

}  // namespace sgl::tokenizer
