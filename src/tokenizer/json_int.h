// Integer fields of tokenizer.json read without undefined behaviour: nlohmann's
// get<int>() casts floats and out-of-range numbers unchecked, and the file is untrusted.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace sgl::tokenizer {

// `value` as an integer in [min, max]; floats, strings and out-of-range numbers are
// errors naming `what`.
Result<int64_t> ReadInt(const nlohmann::json& value, int64_t min, int64_t max, std::string_view what);
// Field `key` of `object` as ReadInt does, or `fallback` when it is absent or null.
Result<int64_t> ReadIntField(const nlohmann::json& object, const char* key, int64_t fallback, int64_t min, int64_t max);

}  // namespace sgl::tokenizer
